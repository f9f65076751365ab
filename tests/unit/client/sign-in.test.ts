import type { startAuthentication } from '@simplewebauthn/browser';
import { AuthError, type AuthenticatePasskey, type PasskeyAssertion } from '../../../client/src/index';
import { ALICE, bearerOf, clientOf, fakeService, json, signInBody } from './fake-service';

// Sign-up, sign-in, the MFA step and passkey sign-in, against a fake `fetch` standing in for the network
// (fake-service.ts), with the bodies docs/openapi.yaml gives.

const CHALLENGE = { mfaRequired: true, mfaToken: 'mfa-token-1', methods: ['totp', 'recovery'] };

describe('sign-up and sign-in', () => {
  it('signs up anonymously and answers the service message', async () => {
    const service = fakeService().on('POST', '/api/auth/signup', () => json(200, { message: 'User was registered successfully!' }));
    const { client } = clientOf(service, { mode: 'header' });

    const answer = await client.signUp({ username: 'alice', email: 'alice@example.com', password: 'correct horse' });

    expect(answer).toEqual({ message: 'User was registered successfully!' });
    expect(service.seen[0]).toMatchObject({ body: { username: 'alice', email: 'alice@example.com', password: 'correct horse' } });
    expect(service.seen[0]?.headers.get('authorization')).toBeNull();
  });

  it('signs in with the password: the user, and the tokens kept for the calls that follow', async () => {
    const service = fakeService()
      .on('POST', '/api/auth/signin', () => json(200, signInBody()))
      .on('GET', '/api/auth/me', () => json(200, { ...ALICE, mfaEnabled: false, emailVerified: true }));
    const { client } = clientOf(service, { mode: 'header' });

    const result = await client.signIn({ username: 'alice', password: 'correct horse' });

    expect(result).toEqual({ status: 'signedIn', user: ALICE });
    expect(await client.getSession()).toEqual({ user: ALICE });
    expect(await client.me()).toEqual({ ...ALICE, mfaEnabled: false, emailVerified: true });
    expect(bearerOf(service.calls('GET', '/api/auth/me')[0])).toBe('access-1');
  });

  it("throws one typed error with the status and the service's message, and Retry-After when there is one", async () => {
    const service = fakeService().on('POST', '/api/auth/signin', () => json(401, { accessToken: null, message: 'Invalid username or password!' }));
    const { client } = clientOf(service, { mode: 'header' });

    const wrong = await client.signIn({ username: 'alice', password: 'wrong' }).catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(AuthError);
    expect(wrong).toMatchObject({ name: 'AuthError', status: 401, message: 'Invalid username or password!', retryAfter: undefined });

    service.on('POST', '/api/auth/signin', () => json(429, { message: 'Too many sign-in attempts. Please try again later.' }, { 'Retry-After': '60' }));
    await expect(client.signIn({ username: 'alice', password: 'wrong' })).rejects.toMatchObject({ status: 429, retryAfter: 60 });
    expect(await client.getSession()).toBeNull();
  });

  it('says the status when an answer has no JSON message (a proxy, an HTTP API 500)', async () => {
    const service = fakeService().on('POST', '/api/auth/signin', () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const { client } = clientOf(service, { mode: 'header' });

    await expect(client.signIn({ username: 'alice', password: 'pw' })).rejects.toMatchObject({ status: 502, message: '502 Bad Gateway' });
  });
});

describe('the MFA step', () => {
  const mfaService = () =>
    fakeService()
      .on('POST', '/api/auth/signin', () => json(200, CHALLENGE))
      .on('POST', '/api/auth/mfa/verify', () => json(200, signInBody({ accessToken: 'access-mfa' })));

  it('answers the challenge instead of a session: no token yet', async () => {
    const { client } = clientOf(mfaService(), { mode: 'header' });

    const result = await client.signIn({ username: 'alice', password: 'correct horse' });

    expect(result).toEqual({ status: 'mfaRequired', challenge: { mfaToken: 'mfa-token-1', methods: ['totp', 'recovery'] } });
    expect(await client.getSession()).toBeNull();
    expect(await client.getAccessToken()).toBeNull();
  });

  it('completes with a TOTP code (leading zeros kept) and is then signed in', async () => {
    const service = mfaService();
    const { client } = clientOf(service, { mode: 'header' });
    const result = await client.signIn({ username: 'alice', password: 'correct horse' });
    if (result.status !== 'mfaRequired') throw new Error('expected the MFA step');

    const user = await client.verifyMfa(result.challenge, { code: '012345' });

    expect(user).toEqual(ALICE);
    expect(service.calls('POST', '/api/auth/mfa/verify').map((r) => r.body)).toEqual([{ mfaToken: 'mfa-token-1', code: '012345' }]);
    expect(await client.getAccessToken()).toBe('access-mfa');
  });

  it('completes with a recovery code', async () => {
    const service = mfaService();
    const { client } = clientOf(service, { mode: 'header' });

    await client.verifyMfa({ mfaToken: 'mfa-token-1', methods: ['totp', 'recovery'] }, { recoveryCode: 'ABCD-EFGH-IJKL' });

    expect(service.calls('POST', '/api/auth/mfa/verify').map((r) => r.body)).toEqual([{ mfaToken: 'mfa-token-1', recoveryCode: 'ABCD-EFGH-IJKL' }]);
    expect(await client.getSession()).toEqual({ user: ALICE });
  });

  it('stays signed out on a wrong code, with the service message', async () => {
    const service = mfaService().on('POST', '/api/auth/mfa/verify', () => json(401, { message: 'Invalid code!' }));
    const { client } = clientOf(service, { mode: 'header' });

    await expect(client.verifyMfa({ mfaToken: 'mfa-token-1', methods: ['totp'] }, { code: '000000' })).rejects.toMatchObject({
      status: 401,
      message: 'Invalid code!',
    });
    expect(await client.getSession()).toBeNull();
  });
});

describe('passkey sign-in (usernameless)', () => {
  const OPTIONS = { challenge: 'Y2hhbGxlbmdl', rpId: 'localhost', timeout: 300000, userVerification: 'preferred' as const };
  const ASSERTION: PasskeyAssertion = {
    id: 'cred-1',
    rawId: 'cred-1',
    type: 'public-key',
    response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'c2ln', userHandle: 'dS0x' },
    clientExtensionResults: {},
  };
  const passkeyService = () =>
    fakeService()
      .on('POST', '/api/auth/passkeys/signin/options', () => json(200, { ...OPTIONS, challengeId: 'Y2hhbGxlbmdl' }))
      .on('POST', '/api/auth/passkeys/signin/verify', () => json(200, signInBody({ accessToken: 'access-pk' })));

  it('asks for options, hands them to the browser step without the challengeId, and verifies its assertion', async () => {
    const service = passkeyService();
    const authenticate = jest.fn<ReturnType<AuthenticatePasskey>, Parameters<AuthenticatePasskey>>(async () => ASSERTION);
    const { client } = clientOf(service, { mode: 'header', authenticatePasskey: authenticate });

    const result = await client.signInWithPasskey();

    expect(authenticate).toHaveBeenCalledWith({ optionsJSON: OPTIONS });
    expect(service.calls('POST', '/api/auth/passkeys/signin/verify').map((r) => r.body)).toEqual([{ challengeId: 'Y2hhbGxlbmdl', response: ASSERTION }]);
    expect(result).toEqual({ status: 'signedIn', user: ALICE });
    expect(await client.getAccessToken()).toBe('access-pk');
  });

  it('answers the MFA step for a passkey without user verification of a user with MFA on', async () => {
    const service = passkeyService().on('POST', '/api/auth/passkeys/signin/verify', () => json(200, CHALLENGE));
    const { client } = clientOf(service, { mode: 'header' });

    const result = await client.signInWithPasskey(async () => ASSERTION);

    expect(result).toEqual({ status: 'mfaRequired', challenge: { mfaToken: 'mfa-token-1', methods: ['totp', 'recovery'] } });
    expect(await client.getSession()).toBeNull();
  });

  it("throws the service's one 401 when the assertion is refused", async () => {
    const service = passkeyService().on('POST', '/api/auth/passkeys/signin/verify', () => json(401, { message: 'Passkey sign-in failed.' }));
    const { client } = clientOf(service, { mode: 'header' });

    await expect(client.signInWithPasskey(async () => ASSERTION)).rejects.toMatchObject({ status: 401, message: 'Passkey sign-in failed.' });
  });

  it('needs a browser step: none given, no request is made', async () => {
    const service = passkeyService();
    const { client } = clientOf(service, { mode: 'header' });

    await expect(client.signInWithPasskey()).rejects.toThrow(/authenticatePasskey/);
    expect(service.seen).toHaveLength(0);
  });

  it("takes @simplewebauthn/browser's startAuthentication as the browser step, as it is (checked by tsc)", () => {
    const fits: typeof startAuthentication extends AuthenticatePasskey ? true : false = true;
    expect(fits).toBe(true);
  });
});
