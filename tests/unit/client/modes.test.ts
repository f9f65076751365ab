import { createAuthClient, memoryStorage, type SignedOut, webStorage } from '../../../client/src/index';
import { BASE_URL, bearerOf, clientOf, fakeService, json, signInBody } from './fake-service';

// Cookie mode and header mode (what each sends), sign-out, and the authenticated fetch, against a fake
// `fetch` standing in for the network (fake-service.ts). In a browser, fetch adds `Origin` itself (the
// service's CSRF check needs it on cookie POSTs); the client must not try to, and cannot.

const service = () =>
  fakeService()
    .on('POST', '/api/auth/signin', () => json(200, signInBody()))
    .on('POST', '/api/auth/refreshtoken', () => json(200, { accessToken: 'access-2', refreshToken: 'refresh-2' }))
    .on('POST', '/api/auth/signout', () => json(200, { message: "You've been signed out!" }))
    .on('GET', '/api/auth/me', () => json(200, { id: 'u-1', username: 'alice', email: 'alice@example.com', roles: ['ROLE_USER'] }))
    .on('GET', '/api/test/user', () => new Response('User Content.'))
    .on('POST', '/api/notes', () => json(200, { saved: true }));

const ALICE_SIGNS_IN = { username: 'alice', password: 'correct horse' };

describe('header mode', () => {
  it('sends the access token as Authorization: Bearer and no cookie, on the typed api and on fetch alike', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);

    await client.me();
    await client.fetch('/api/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"hi"}' });

    const [me, note] = [fake.calls('GET', '/api/auth/me')[0], fake.calls('POST', '/api/notes')[0]];
    expect([bearerOf(me), bearerOf(note)]).toEqual(['access-1', 'access-1']);
    expect(me?.credentials).toBe('omit');
    expect(fake.calls('POST', '/api/auth/signin')[0]?.credentials).toBe('omit');
    expect(note?.body).toEqual({ text: 'hi' });
    expect(note?.headers.get('origin')).toBeNull();
  });

  it('keeps the tokens in the storage it is given, so a new client (a reload) finds the session', async () => {
    const fake = service();
    const items = new Map<string, string>();
    const storage = webStorage({
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    });
    const { client } = clientOf(fake, { mode: 'header', storage });
    await client.signIn(ALICE_SIGNS_IN);

    const reloaded = createAuthClient({ baseUrl: BASE_URL, mode: 'header', fetch: fake.fetch, storage, now: () => 0 });

    expect(await reloaded.getAccessToken()).toBe('access-1');
    await reloaded.signOut();
    expect(items.size).toBe(0);
  });
});

describe('cookie mode', () => {
  it('sends credentials on every request and never a token header; it keeps no token', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'cookie' });

    const result = await client.signIn(ALICE_SIGNS_IN);
    await client.me();
    await client.fetch('/api/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });

    expect(result).toEqual({ status: 'signedIn', user: expect.objectContaining({ username: 'alice' }) });
    expect(fake.seen.map((r) => [r.method, r.path, r.credentials, r.headers.get('authorization')])).toEqual([
      ['POST', '/api/auth/signin', 'include', null],
      ['GET', '/api/auth/me', 'include', null],
      ['POST', '/api/notes', 'include', null],
    ]);
    expect(fake.calls('POST', '/api/notes')[0]?.headers.get('origin')).toBeNull();
    expect(await client.getAccessToken()).toBeNull();
  });

  it('refuses a token storage: there is no token to store', () => {
    expect(() => createAuthClient({ baseUrl: BASE_URL, mode: 'cookie', storage: memoryStorage() })).toThrow(/cookie mode keeps no token/);
  });

  it('never refreshes: refresh() sends nothing, and a refused cookie means signed out, not a retry', async () => {
    const fake = service().on('GET', '/api/test/user', () => json(401, { message: 'Unauthorized!' }));
    const { client } = clientOf(fake, { mode: 'cookie' });
    await client.signIn(ALICE_SIGNS_IN);
    const events: SignedOut[] = [];
    client.onSignedOut((event) => events.push(event));

    await client.refresh();
    const answer = await client.fetch('/api/test/user');

    expect(answer.status).toBe(401);
    expect(fake.calls('GET', '/api/test/user')).toHaveLength(1);
    expect(fake.calls('POST', '/api/auth/refreshtoken')).toHaveLength(0);
    expect(events).toEqual([{ reason: 'sessionEnded', message: 'Unauthorized!' }]);
    expect(await client.getSession()).toBeNull();
  });

  it('is not signed out by a wrong current password', async () => {
    const fake = service().on('POST', '/api/auth/password', () => json(401, { message: 'Current password is incorrect!' }));
    const { client } = clientOf(fake, { mode: 'cookie' });
    await client.signIn(ALICE_SIGNS_IN);

    await client.api.POST('/api/auth/password', { body: { currentPassword: 'wrong', newPassword: 'battery staple' } });

    expect(await client.getSession()).not.toBeNull();
  });
});

describe('sign-out', () => {
  it('header mode: ends the session with its refresh token, forgets the tokens, reports signed-out', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);
    const events: SignedOut[] = [];
    client.onSignedOut((event) => events.push(event));

    await client.signOut();

    expect(fake.calls('POST', '/api/auth/signout').map((r) => r.body)).toEqual([{ refreshToken: 'refresh-1' }]);
    expect(await client.getSession()).toBeNull();
    expect(await client.getAccessToken()).toBeNull();
    expect(events).toEqual([{ reason: 'signOut' }]);
    await client.fetch('/api/test/user');
    expect(bearerOf(fake.calls('GET', '/api/test/user')[0])).toBeNull();
  });

  it('header mode: a 403 (the token was dead already) is a sign-out too; other failures are thrown, the client forgets anyway', async () => {
    const fake = service().on('POST', '/api/auth/signout', () => json(403, { message: 'Refresh token is not in database!' }));
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);
    await client.signOut();
    expect(await client.getSession()).toBeNull();

    fake.on('POST', '/api/auth/signout', () => json(503, { message: 'Service temporarily unavailable. Please try again.' }));
    await client.signIn(ALICE_SIGNS_IN);
    await expect(client.signOut()).rejects.toMatchObject({ status: 503 });
    expect(await client.getSession()).toBeNull();
  });

  it('header mode: waits for a refresh under way and signs out with the token it got (the old one would be reuse)', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);

    const refresh = client.refresh();
    await client.signOut();
    await refresh;

    expect(fake.calls('POST', '/api/auth/signout').map((r) => r.body)).toEqual([{ refreshToken: 'refresh-2' }]);
    expect(await client.getSession()).toBeNull();
  });

  it('everywhere: {all:true} with the access token, then forgets the session', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);

    await client.signOut({ everywhere: true });

    const [request] = fake.calls('POST', '/api/auth/signout');
    expect([request?.body, bearerOf(request)]).toEqual([{ all: true }, 'access-1']);
    expect(await client.getSession()).toBeNull();
  });

  it('cookie mode: `{}` with the cookie (the service ends its session and clears it), then signed out', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'cookie' });
    await client.signIn(ALICE_SIGNS_IN);
    const events: SignedOut[] = [];
    client.onSignedOut((event) => events.push(event));

    await client.signOut();

    expect(fake.calls('POST', '/api/auth/signout').map((r) => [r.body, r.credentials])).toEqual([[{}, 'include']]);
    expect(await client.getSession()).toBeNull();
    expect(events).toEqual([{ reason: 'signOut' }]);
  });

  it('cookie mode: a refused Origin (CSRF check) is thrown, not taken for success', async () => {
    const fake = service().on('POST', '/api/auth/signout', () => json(403, { message: 'Origin not allowed.' }));
    const { client } = clientOf(fake, { mode: 'cookie' });
    await client.signIn(ALICE_SIGNS_IN);

    await expect(client.signOut()).rejects.toMatchObject({ status: 403, message: 'Origin not allowed.' });
  });
});

describe('the authenticated fetch', () => {
  it("resolves paths against baseUrl and sends credentials only to the API's origins", async () => {
    const fake = service().on('GET', '/v1/orders', () => json(200, []));
    const { client } = clientOf(fake, { mode: 'header', apiOrigins: ['https://orders.example.com'] });
    await client.signIn(ALICE_SIGNS_IN);

    await client.fetch('/api/test/user');
    await client.fetch('https://orders.example.com/v1/orders');
    await expect(client.fetch('https://tracker.example.net/collect')).rejects.toThrow(/not this API's origin/);

    expect(fake.seen.slice(1).map((r) => [r.path, bearerOf(r)])).toEqual([
      ['/api/test/user', 'access-1'],
      ['/v1/orders', 'access-1'],
    ]);
  });
});
