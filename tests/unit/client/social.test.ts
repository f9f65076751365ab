import { AuthError, type SignedOut } from '../../../client/src/index';
import { ALICE, BASE_URL, bearerOf, clientOf, fakeService, json, signInBody } from './fake-service';

// Social sign-in and linked identities, against a fake `fetch` standing in for the network
// (fake-service.ts), with the bodies docs/openapi.yaml gives. The browser's trip to the provider is a
// navigation the client only builds the URL of; the return page's fragment is what the callback writes
// (`#code=…`, `#linked=…`, `#error=…&message=…`, URLSearchParams-encoded).

const RETURN_PAGE = 'https://app.example.com/oauth/callback';
const CHALLENGE = { mfaRequired: true, mfaToken: 'mfa-token-1', methods: ['totp', 'recovery'] };
const ACCOUNT_EXISTS = 'An account already uses this email. Sign in and link this provider from your account.';
const IDENTITY = { provider: 'google', subject: 'g-123', email: 'alice@example.com', linkedAt: '2026-12-01T10:00:00.000Z' };

const service = () =>
  fakeService()
    .on('GET', '/api/auth/oauth/providers', () =>
      json(200, {
        providers: [
          { id: 'google', name: 'Google' },
          { id: 'dev', name: 'Dev' },
        ],
      }),
    )
    .on('POST', '/api/auth/oauth/token', () => json(200, signInBody({ accessToken: 'access-fed', refreshToken: 'refresh-fed' })))
    .on('POST', '/api/auth/signin', () => json(200, signInBody()))
    .on('POST', '/api/auth/mfa/verify', () => json(200, signInBody({ accessToken: 'access-mfa' })))
    .on('GET', '/api/auth/me', () => json(200, { ...ALICE, mfaEnabled: false, emailVerified: true }))
    .on('POST', '/api/auth/identities/google/link', () => json(200, { url: `${BASE_URL}/api/auth/oauth/google/authorize?redirect_uri=x&link=ticket-1` }))
    .on('GET', '/api/auth/identities', () => json(200, { identities: [IDENTITY] }))
    .on('DELETE', '/api/auth/identities/google', () => json(200, { message: 'The identity was unlinked.' }));

const ALICE_SIGNS_IN = { username: 'alice', password: 'correct horse' };

describe('the providers and the sign-in URL', () => {
  it('lists the providers the service offers, in its order', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });

    expect(await client.providers()).toEqual([
      { id: 'google', name: 'Google' },
      { id: 'dev', name: 'Dev' },
    ]);
    expect(fake.seen.map((r) => [r.method, r.path])).toEqual([['GET', '/api/auth/oauth/providers']]);
  });

  it("builds the authorize URL with the route's own parameters, encoded, and sends nothing", () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'cookie', baseUrl: `${BASE_URL}/` });

    const plain = client.socialSignInUrl('google', { redirectUri: RETURN_PAGE });
    const hinted = client.socialSignInUrl('dev', { redirectUri: RETURN_PAGE, loginHint: 'alice+dev@example.com' });

    expect(plain).toBe('http://localhost:8080/api/auth/oauth/google/authorize?redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth%2Fcallback');
    expect([...new URL(hinted).searchParams]).toEqual([
      ['redirect_uri', RETURN_PAGE],
      ['login_hint', 'alice+dev@example.com'],
    ]);
    expect(new URL(hinted).pathname).toBe('/api/auth/oauth/dev/authorize');
    expect(client.socialSignInUrl('a/b', { redirectUri: RETURN_PAGE })).toMatch(/\/api\/auth\/oauth\/a%2Fb\/authorize\?/);
    expect(fake.seen).toHaveLength(0);
  });
});

describe('the return page', () => {
  it('header mode: trades #code for the sign-in, and keeps its tokens for the calls that follow', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });

    const result = await client.completeSocialSignIn('#code=one-time-1');
    await client.me();

    expect(result).toEqual({ status: 'signedIn', user: ALICE });
    const [exchange] = fake.calls('POST', '/api/auth/oauth/token');
    expect([exchange?.body, exchange?.credentials, bearerOf(exchange)]).toEqual([{ code: 'one-time-1' }, 'omit', null]);
    expect(await client.getAccessToken()).toBe('access-fed');
    expect(bearerOf(fake.calls('GET', '/api/auth/me')[0])).toBe('access-fed');
  });

  it('cookie mode: trades #code with the cookie, knows the user and keeps no token', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'cookie' });

    const result = await client.completeSocialSignIn('code=one-time-1');
    await client.me();

    expect(result).toEqual({ status: 'signedIn', user: ALICE });
    expect(fake.seen.map((r) => [r.path, r.credentials, r.headers.get('authorization')])).toEqual([
      ['/api/auth/oauth/token', 'include', null],
      ['/api/auth/me', 'include', null],
    ]);
    expect(await client.getSession()).toEqual({ user: ALICE });
    expect(await client.getAccessToken()).toBeNull();
  });

  it('answers the MFA step for a user with MFA on: no session until verifyMfa', async () => {
    const fake = service().on('POST', '/api/auth/oauth/token', () => json(200, CHALLENGE));
    const { client } = clientOf(fake, { mode: 'header' });

    const result = await client.completeSocialSignIn('#code=one-time-1');

    expect(result).toEqual({ status: 'mfaRequired', challenge: { mfaToken: 'mfa-token-1', methods: ['totp', 'recovery'] } });
    expect(await client.getSession()).toBeNull();
    if (result.status !== 'mfaRequired') throw new Error('expected the MFA step');
    await client.verifyMfa(result.challenge, { code: '012345' });
    expect(await client.getAccessToken()).toBe('access-mfa');
  });

  it("throws the service's 400 for a spent or expired code, and stays signed out", async () => {
    const fake = service().on('POST', '/api/auth/oauth/token', () => json(400, { message: 'Sign-in code is invalid or has expired.' }));
    const { client } = clientOf(fake, { mode: 'header' });

    await expect(client.completeSocialSignIn('#code=spent')).rejects.toMatchObject({ status: 400, message: 'Sign-in code is invalid or has expired.' });
    expect(await client.getSession()).toBeNull();
  });

  it('throws #error as an AuthError with its code and decoded message, without a request', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    const fragment = `#${new URLSearchParams({ error: 'account_exists', message: ACCOUNT_EXISTS })}`;

    const refused = await client.completeSocialSignIn(fragment).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(AuthError);
    expect(refused).toMatchObject({ name: 'AuthError', code: 'account_exists', message: ACCOUNT_EXISTS, status: 0 });
    expect(fake.seen).toHaveLength(0);
    // An error beside a code (never written by the service) is still an error: nothing is exchanged.
    await expect(client.completeSocialSignIn('#error=signin_failed&code=x')).rejects.toMatchObject({ code: 'signin_failed', message: 'signin_failed' });
    expect(fake.seen).toHaveLength(0);
  });

  it('gives the other errors no code', async () => {
    const fake = service().on('POST', '/api/auth/oauth/token', () => json(400, { message: 'Sign-in code is invalid or has expired.' }));
    const { client } = clientOf(fake, { mode: 'header' });

    await expect(client.completeSocialSignIn('#code=spent')).rejects.toMatchObject({ code: undefined });
  });

  it('answers #linked as the provider linked, without a request or a change of session', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);

    expect(await client.completeSocialSignIn('#linked=google')).toEqual({ status: 'linked', provider: 'google' });
    expect(fake.seen.map((r) => r.path)).toEqual(['/api/auth/signin']);
    expect(await client.getAccessToken()).toBe('access-1');
  });

  it('refuses a fragment with neither code, error nor linked, clearly and without a request', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });

    for (const fragment of ['', '#', '#state=abc&token=x']) {
      await expect(client.completeSocialSignIn(fragment)).rejects.toThrow(/the fragment has no code, error or linked/);
    }
    await expect(client.completeSocialSignIn('#')).rejects.not.toBeInstanceOf(AuthError);
    expect(fake.seen).toHaveLength(0);
  });

  it("reads the page's own fragment when given none, and says so where there is no page", async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });

    await expect(client.completeSocialSignIn()).rejects.toThrow(/no page here .*pass the fragment/);
    Object.defineProperty(globalThis, 'location', { value: { hash: '#linked=dev' }, configurable: true });
    try {
      expect(await client.completeSocialSignIn()).toEqual({ status: 'linked', provider: 'dev' });
    } finally {
      Reflect.deleteProperty(globalThis, 'location');
    }
  });
});

describe('linked identities', () => {
  it('links with the password and the access token, answering the URL to send the browser to', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);

    const answer = await client.linkIdentity('google', { password: 'correct horse', redirectUri: RETURN_PAGE });

    expect(answer).toEqual({ url: `${BASE_URL}/api/auth/oauth/google/authorize?redirect_uri=x&link=ticket-1` });
    const [request] = fake.calls('POST', '/api/auth/identities/google/link');
    expect([request?.body, bearerOf(request)]).toEqual([{ password: 'correct horse', redirect_uri: RETURN_PAGE }, 'access-1']);
  });

  it('links an account without a password with no password field at all', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'cookie' });
    await client.completeSocialSignIn('#code=one-time-1');

    await client.linkIdentity('google', { redirectUri: RETURN_PAGE });

    const [request] = fake.calls('POST', '/api/auth/identities/google/link');
    expect([request?.body, request?.credentials]).toEqual([{ redirect_uri: RETURN_PAGE }, 'include']);
  });

  it('a wrong password or a sign-in too old to link is thrown once: no refresh, no retry, still signed in', async () => {
    for (const message of ['Current password is incorrect!', 'Please sign in again to link a provider.']) {
      for (const mode of ['header', 'cookie'] as const) {
        const fake = service()
          .on('POST', '/api/auth/identities/google/link', () => json(401, { message }))
          .on('POST', '/api/auth/refreshtoken', () => json(200, { accessToken: 'access-2', refreshToken: 'refresh-2' }));
        const { client } = clientOf(fake, { mode });
        await client.signIn(ALICE_SIGNS_IN);
        const events: SignedOut[] = [];
        client.onSignedOut((event) => events.push(event));

        await expect(client.linkIdentity('google', { redirectUri: RETURN_PAGE })).rejects.toMatchObject({ status: 401, message });

        expect([mode, message, fake.calls('POST', '/api/auth/identities/google/link').length]).toEqual([mode, message, 1]);
        expect(fake.calls('POST', '/api/auth/refreshtoken')).toHaveLength(0);
        expect([mode, message, events]).toEqual([mode, message, []]);
        expect(await client.getSession()).toEqual({ user: ALICE });
      }
    }
  });

  it('lists the identities with the access token', async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);

    expect(await client.identities()).toEqual([IDENTITY]);
    expect(bearerOf(fake.calls('GET', '/api/auth/identities')[0])).toBe('access-1');
  });

  it("unlinks one provider, and throws the service's 409 for the last way to sign in", async () => {
    const fake = service();
    const { client } = clientOf(fake, { mode: 'header' });
    await client.signIn(ALICE_SIGNS_IN);

    expect(await client.unlinkIdentity('google')).toEqual({ message: 'The identity was unlinked.' });
    expect(bearerOf(fake.calls('DELETE', '/api/auth/identities/google')[0])).toBe('access-1');

    const last = 'This is your last way to sign in: add a password, a passkey or another provider first.';
    fake.on('DELETE', '/api/auth/identities/google', () => json(409, { message: last }));
    await expect(client.unlinkIdentity('google')).rejects.toMatchObject({ status: 409, message: last });
  });
});
