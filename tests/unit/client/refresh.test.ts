import { AuthError, type SignedOut } from '../../../client/src/index';
import { bearerOf, clientOf, fakeService, gate, json, jwt, type Seen, signInBody } from './fake-service';

// Header mode's refresh, against a fake `fetch` standing in for the network (fake-service.ts). The
// service rotates refresh tokens and treats two exchanges of one token as reuse, which ends the session:
// hence single-flight. Time is the test's clock only: no sleeps, no timers, no wall time.

const signedInService = () =>
  fakeService()
    .on('POST', '/api/auth/signin', () => json(200, signInBody()))
    .on('POST', '/api/auth/refreshtoken', () => json(200, { accessToken: 'access-2', refreshToken: 'refresh-2' }))
    .on('GET', '/api/test/user', () => new Response('User Content.'));

async function signedIn(service = signedInService()) {
  const { client, clock } = clientOf(service, { mode: 'header' });
  await client.signIn({ username: 'alice', password: 'correct horse' });
  return { service, client, clock };
}

/** A content route that refuses `access-1` as expired and takes any other token. */
const expiringUserRoute = (request: Seen) =>
  bearerOf(request) === 'access-1' ? json(401, { message: 'Unauthorized! Access Token was expired!' }) : new Response('User Content.');

describe('refresh is single-flight', () => {
  it('five overlapping refreshes make exactly one POST, and all five get its tokens', async () => {
    // Given a signed-in client whose refresh answer is held back until all five callers wait on it.
    const held = gate();
    const service = signedInService().on('POST', '/api/auth/refreshtoken', async () => {
      await held.opened;
      return json(200, { accessToken: 'access-2', refreshToken: 'refresh-2' });
    });
    const { client } = await signedIn(service);

    // When five callers refresh at once.
    const refreshes = Array.from({ length: 5 }, () => client.refresh());
    held.open();
    await Promise.all(refreshes);

    // Then the service saw one exchange of the sign-in's refresh token, and everyone uses its answer.
    expect(service.calls('POST', '/api/auth/refreshtoken').map((r) => r.body)).toEqual([{ refreshToken: 'refresh-1' }]);
    expect(await client.getAccessToken()).toBe('access-2');
  });

  it('shares a refusal too: five callers, one POST, five rejections with its 403', async () => {
    const service = signedInService().on('POST', '/api/auth/refreshtoken', () => json(403, { message: 'Session ended. Please sign in again.' }));
    const { client } = await signedIn(service);

    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => client.refresh()));

    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as AuthError).status : o.status))).toEqual([403, 403, 403, 403, 403]);
  });

  it('is one flight, not a cache: a refresh after the first has settled exchanges the new refresh token', async () => {
    const { service, client } = await signedIn();
    await client.refresh();
    service.on('POST', '/api/auth/refreshtoken', () => json(200, { accessToken: 'access-3', refreshToken: 'refresh-3' }));

    await client.refresh();

    expect(service.calls('POST', '/api/auth/refreshtoken').map((r) => r.body)).toEqual([{ refreshToken: 'refresh-1' }, { refreshToken: 'refresh-2' }]);
    expect(await client.getAccessToken()).toBe('access-3');
  });

  it('five calls that all find the token due share one refresh and all carry the new token', async () => {
    const { service, client, clock } = await signedIn();
    clock.now = 900_000; // the sign-in's token has expired

    const answers = await Promise.all(Array.from({ length: 5 }, () => client.fetch('/api/test/user')));

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
    expect(service.calls('GET', '/api/test/user').map(bearerOf)).toEqual(['access-2', 'access-2', 'access-2', 'access-2', 'access-2']);
  });

  it('five calls refused with the old token share one refresh, and each is retried once with the new one', async () => {
    const service = signedInService().on('GET', '/api/test/user', expiringUserRoute);
    const { client } = await signedIn(service);

    const answers = await Promise.all(Array.from({ length: 5 }, () => client.fetch('/api/test/user')));

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
    expect(service.calls('GET', '/api/test/user').map(bearerOf).sort()).toEqual([...Array(5).fill('access-1'), ...Array(5).fill('access-2')]);
  });
});

describe('refresh is proactive, before the access token expires', () => {
  it("refreshes from the sign-in's expiresIn, one margin (60 s) before expiry, and not a millisecond earlier", async () => {
    // Given a sign-in at t=0 whose token lives 900 s.
    const { service, client, clock } = await signedIn();

    // When a call is made at 839.999 s, then at 840 s.
    clock.now = 839_999;
    await client.fetch('/api/test/user');
    clock.now = 840_000;
    await client.fetch('/api/test/user');

    // Then the first went with the sign-in's token, the second refreshed first.
    expect(service.calls('GET', '/api/test/user').map(bearerOf)).toEqual(['access-1', 'access-2']);
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
  });

  it("schedules a refreshed token from its own exp - iat, whatever the service's clock says the time is", async () => {
    // The service's clock is 50 000 s ahead of the client's: only the token's lifetime (600 s) counts.
    const service = signedInService().on('POST', '/api/auth/refreshtoken', ({ body }) =>
      json(200, {
        accessToken: jwt({ sub: 'u-1', iat: 50_000, exp: 50_600, n: (body as { refreshToken: string }).refreshToken }),
        refreshToken: `${(body as { refreshToken: string }).refreshToken}+`,
      }),
    );
    const { client, clock } = await signedIn(service);
    clock.now = 1_000_000;
    await client.refresh();

    clock.now = 1_000_000 + 539_999;
    await client.getAccessToken();
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
    clock.now = 1_000_000 + 540_000;
    await client.getAccessToken();
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(2);
  });

  it('takes half the lifetime as the margin when the token lives less than two margins', async () => {
    const service = signedInService().on('POST', '/api/auth/signin', () => json(200, signInBody({ expiresIn: 20 })));
    const { client, clock } = await signedIn(service);

    clock.now = 9_999;
    expect(await client.getAccessToken()).toBe('access-1');
    clock.now = 10_000;
    expect(await client.getAccessToken()).toBe('access-2');
  });

  it('keeps using a token that still works when the refresh fails for want of the service (503)', async () => {
    const service = signedInService().on('POST', '/api/auth/refreshtoken', () =>
      json(503, { message: 'Service temporarily unavailable. Please try again.' }, { 'Retry-After': '1' }),
    );
    const { client, clock } = await signedIn(service);
    clock.now = 850_000; // due, not expired

    const answer = await client.fetch('/api/test/user');

    expect(answer.status).toBe(200);
    expect(bearerOf(service.calls('GET', '/api/test/user')[0])).toBe('access-1');
    expect(await client.getSession()).not.toBeNull();
  });
});

describe('a refused token: at most one refresh and one retry', () => {
  it('refreshes after a 401 and retries the request, body and all, with the new token', async () => {
    const service = signedInService().on('POST', '/api/auth/mfa/totp/confirm', (request) =>
      bearerOf(request) === 'access-1' ? json(401, { message: 'Unauthorized! Access Token was expired!' }) : json(200, { recoveryCodes: [] }),
    );
    const { client } = await signedIn(service);

    const { data, response } = await client.api.POST('/api/auth/mfa/totp/confirm', { body: { code: '123456' } });

    expect(response.status).toBe(200);
    expect(data).toEqual({ recoveryCodes: [] });
    const sent = service.calls('POST', '/api/auth/mfa/totp/confirm');
    expect(sent.map((r) => [bearerOf(r), r.body])).toEqual([
      ['access-1', { code: '123456' }],
      ['access-2', { code: '123456' }],
    ]);
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
  });

  it('gives the caller the second 401 when the retry is refused too: no loop', async () => {
    const service = signedInService().on('GET', '/api/test/user', () => json(401, { message: 'Unauthorized!' }));
    const { client } = await signedIn(service);

    const answer = await client.fetch('/api/test/user');

    expect(answer.status).toBe(401);
    expect(service.calls('GET', '/api/test/user')).toHaveLength(2);
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
  });

  it('treats the HTTP API flavour\'s 403 "Forbidden" (its authorizer refusal) like a 401', async () => {
    const service = signedInService().on('GET', '/api/test/user', (request) =>
      bearerOf(request) === 'access-1' ? json(403, { message: 'Forbidden' }) : new Response('User Content.'),
    );
    const { client } = await signedIn(service);

    expect((await client.fetch('/api/test/user')).status).toBe(200);
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
  });

  it('does not refresh or retry for a 403 of a missing role, nor a 401 for a wrong current password (it would count twice)', async () => {
    const service = signedInService()
      .on('GET', '/api/test/admin', () => json(403, { message: 'Require Admin Role!' }))
      .on('POST', '/api/auth/password', () => json(401, { message: 'Current password is incorrect!' }));
    const { client } = await signedIn(service);

    expect((await client.fetch('/api/test/admin')).status).toBe(403);
    const { error } = await client.api.POST('/api/auth/password', { body: { currentPassword: 'wrong', newPassword: 'battery staple' } });

    expect(error).toEqual({ message: 'Current password is incorrect!' });
    expect(service.calls('POST', '/api/auth/password')).toHaveLength(1);
    expect(service.calls('GET', '/api/test/admin')).toHaveLength(1);
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(0);
  });
});

describe('a refresh answered 403 ends the session', () => {
  const endedService = () =>
    signedInService()
      .on('POST', '/api/auth/refreshtoken', () => json(403, { message: 'Session ended. Please sign in again.' }))
      .on('GET', '/api/test/user', expiringUserRoute);

  it("rejects with the service's 403, forgets the tokens and reports signed-out once", async () => {
    const { service, client } = await signedIn(endedService());
    const events: SignedOut[] = [];
    client.onSignedOut((event) => events.push(event));

    const refused = await client.refresh().catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(AuthError);
    expect(refused).toMatchObject({ status: 403, message: 'Session ended. Please sign in again.' });
    expect(await client.getSession()).toBeNull();
    expect(await client.getAccessToken()).toBeNull();
    expect(events).toEqual([{ reason: 'sessionEnded', message: 'Session ended. Please sign in again.' }]);
    // And nothing tries the dead refresh token again: later calls go without a token.
    await client.fetch('/api/test/user');
    await expect(client.refresh()).rejects.toMatchObject({ status: 403 });
    expect(service.calls('POST', '/api/auth/refreshtoken')).toHaveLength(1);
    expect(bearerOf(service.calls('GET', '/api/test/user')[0])).toBeNull();
  });

  it("gives a refused call's caller its 401, and the client is signed out", async () => {
    const { client } = await signedIn(endedService());
    const events: SignedOut[] = [];
    client.onSignedOut((event) => events.push(event));

    const answer = await client.fetch('/api/test/user');

    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({ message: 'Unauthorized! Access Token was expired!' });
    expect(await client.getSession()).toBeNull();
    expect(events).toEqual([{ reason: 'sessionEnded', message: 'Session ended. Please sign in again.' }]);
  });

  it('keeps the session when the refresh fails for another reason (503)', async () => {
    const service = signedInService().on('POST', '/api/auth/refreshtoken', () =>
      json(503, { message: 'Service temporarily unavailable. Please try again.' }, { 'Retry-After': '2' }),
    );
    const { client } = await signedIn(service);

    await expect(client.refresh()).rejects.toMatchObject({ status: 503, retryAfter: 2 });
    expect(await client.getAccessToken()).toBe('access-1');
  });

  it('lets a new sign-in win over a refresh that was under way', async () => {
    const held = gate();
    const service = signedInService().on('POST', '/api/auth/refreshtoken', async () => {
      await held.opened;
      return json(200, { accessToken: 'access-old', refreshToken: 'refresh-old' });
    });
    const { client } = await signedIn(service);
    service.on('POST', '/api/auth/signin', () => json(200, signInBody({ accessToken: 'access-new', refreshToken: 'refresh-new' })));

    const refresh = client.refresh();
    await client.signIn({ username: 'alice', password: 'correct horse' });
    held.open();
    await refresh;

    expect(await client.getAccessToken()).toBe('access-new');
  });
});
