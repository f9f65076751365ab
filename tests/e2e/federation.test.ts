import { api, signUp } from '../support/api';
import { newUser, uniqueName } from '../support/data';

// Social sign-in over HTTP (contract, "Social sign-in"), against the stack's own OpenID provider `dev`
// (scripts/oidc-dev.ts): fetch plays the browser, following each redirect by hand and carrying the
// binding cookie from the start to the callback. The page allowed by default is /oauth/callback on the
// stack's CORS origin.
const PAGE = 'http://localhost:8081/oauth/callback';

/** The `name=value` of a Set-Cookie header. */
const cookiePair = (setCookie: string | null) => (setCookie ?? '').split(';')[0]!;

/** Our start, the provider (no form), our callback: the page's fragment, as the browser would land on it. */
async function socialSignIn(email: string, options: { dropCookie?: boolean } = {}): Promise<Record<string, string>> {
  const start = await fetch(`${process.env.E2E_URL}/api/auth/oauth/dev/authorize?${new URLSearchParams({ redirect_uri: PAGE, login_hint: email })}`, {
    redirect: 'manual',
  });
  expect(start.status).toBe(302);
  const binding = cookiePair(start.headers.get('set-cookie'));
  expect(binding).toMatch(/^oauth_binding=[A-Za-z0-9_-]{43}$/);
  expect(start.headers.get('set-cookie')).toMatch(/HttpOnly/i);
  const provider = new URL(start.headers.get('location')!);
  expect(Object.fromEntries(provider.searchParams)).toMatchObject({ response_type: 'code', code_challenge_method: 'S256', login_hint: email });
  const atProvider = await fetch(provider, { redirect: 'manual' });
  const callback = atProvider.headers.get('location')!;
  expect(new URL(callback).pathname).toBe('/api/auth/oauth/dev/callback');
  const back = await fetch(callback, { redirect: 'manual', headers: options.dropCookie ? {} : { cookie: binding } });
  expect(back.status).toBe(302);
  const page = new URL(back.headers.get('location')!);
  expect(`${page.origin}${page.pathname}`).toBe(PAGE);
  return Object.fromEntries(new URLSearchParams(page.hash.slice(1)));
}

const newEmail = () => `${uniqueName('e2efed')}@example.com`;

describe('social sign-in with the local provider dev', () => {
  it('is listed among the providers', async () => {
    const answer = await api('GET', '/api/auth/oauth/providers');
    expect(answer.status).toBe(200);
    expect(answer.json.providers).toEqual([{ id: 'dev', name: 'Dev (local)' }]);
  });

  it('signs up a verified email, exchanges the one-time code once for the sign-in body and cookie, and lists the identity', async () => {
    const email = newEmail();
    const { code, ...rest } = await socialSignIn(email);
    expect(rest).toEqual({});
    const answer = await api('POST', '/api/auth/oauth/token', { body: { code } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ email, roles: ['ROLE_USER'], tokenType: 'Bearer', accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect(answer.headers.get('set-cookie')).toMatch(/^jwt_session=/);
    expect((await api('POST', '/api/auth/oauth/token', { body: { code } })).json).toEqual({ message: 'Sign-in code is invalid or has expired.' });

    const token = answer.json.accessToken as string;
    expect((await api('GET', '/api/auth/me', { token })).json).toMatchObject({ email, roles: ['ROLE_USER'] });
    const identities = await api('GET', '/api/auth/identities', { token });
    expect(identities.json).toEqual({
      identities: [{ provider: 'dev', subject: expect.stringMatching(/^dev-[0-9a-f]{16}$/), email, linkedAt: expect.any(String) }],
    });
    // Its only way to sign in: unlinking it is refused.
    const unlink = await api('DELETE', '/api/auth/identities/dev', { token });
    expect({ status: unlink.status, json: unlink.json }).toEqual({
      status: 409,
      json: { message: 'This is your last way to sign in: add a password, a passkey or another provider first.' },
    });
    // No password: a password sign-in with any password fails like an unknown user.
    const withPassword = await api('POST', '/api/auth/signin', { body: { username: email, password: 'anything at all' } });
    expect(withPassword.status).toBe(401);
  });

  it('refuses an email an account uses already, telling the page to sign in and link', async () => {
    const user = newUser('e2efedx');
    expect((await signUp(user)).status).toBe(200);
    expect(await socialSignIn(user.email)).toEqual({
      error: 'account_exists',
      message: 'An account already uses this email. Sign in and link this provider from your account.',
    });
  });

  it('refuses a callback in a browser without the binding cookie', async () => {
    expect(await socialSignIn(newEmail(), { dropCookie: true })).toMatchObject({ error: 'signin_failed' });
  });

  it.each([
    [
      'a page not on the allow-list',
      `/api/auth/oauth/dev/authorize?redirect_uri=${encodeURIComponent('http://evil.example/oauth/callback')}`,
      400,
      'redirect_uri is not allowed.',
    ],
    ['no page at all', '/api/auth/oauth/dev/authorize', 400, 'redirect_uri is required'],
    ['an unknown provider', `/api/auth/oauth/nope/authorize?redirect_uri=${encodeURIComponent(PAGE)}`, 404, 'Provider not found.'],
    [
      'a callback with an unknown state',
      '/api/auth/oauth/dev/callback?state=made-up&code=x',
      400,
      'Sign-in state is invalid or has expired. Please start again.',
    ],
    ['a callback without a state', '/api/auth/oauth/dev/callback?code=x', 400, 'Sign-in state is invalid or has expired. Please start again.'],
  ])('answers %s with a JSON error', async (_, path, status, message) => {
    const answer = await api('GET', path);
    expect({ status: answer.status, json: answer.json }).toEqual({ status, json: { message } });
  });

  it.each([
    ['a made-up code', { code: 'A'.repeat(43) }],
    ['a code of the wrong shape', { code: 'not a code' }],
  ])('refuses %s at the token exchange', async (_, body) => {
    const answer = await api('POST', '/api/auth/oauth/token', { body });
    expect({ status: answer.status, json: answer.json }).toEqual({ status: 400, json: { message: 'Sign-in code is invalid or has expired.' } });
  });
});
