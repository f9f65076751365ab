import { admin, api, cookieAttributes, refusedWithinRevocationBound, signIn, signUp, type ApiResponse } from '../support/api';
import { newUser } from '../support/data';
import { gateway, statusAndBody } from '../support/gateway';

// Cookie sessions over plain HTTP (contract, "Cookie sessions"): what a browser client relies on, checked
// header by header. tests/browser/ drives the same through a real browser.
const ALLOWED = 'http://localhost:8081';
const FOREIGN = 'http://evil.example';

function sessionCookie(response: ApiResponse): string {
  const header = response.headers.get('set-cookie');
  const match = /^jwt_session=([^;]+)/.exec(header ?? '');
  if (!match) throw new Error(`no session cookie in ${header}`);
  return `jwt_session=${match[1]}`;
}

const withCookie = (cookie: string, headers: Record<string, string> = {}) => ({ headers: { cookie, ...headers } });

async function cookieSignIn(prefix = 'cookie') {
  const user = newUser(prefix);
  expect((await signUp(user)).status).toBe(200);
  const answer = await signIn(user.username, user.password);
  return { user, answer, cookie: sessionCookie(answer) };
}

describe('cookie sessions', () => {
  it('sign-in sets an HttpOnly, SameSite=Lax cookie for the session lifetime, not Secure on plain-http localhost; the body is unchanged', async () => {
    const { answer } = await cookieSignIn();
    expect(answer.headers.get('set-cookie')).toMatch(/^jwt_session=[A-Za-z0-9._-]+;/);
    const attributes = cookieAttributes(answer.headers.get('set-cookie'));
    expect(attributes).toMatchObject({ 'max-age': '86400', path: '/', httponly: true, samesite: 'Lax' });
    expect(attributes).not.toHaveProperty('secure');
    expect(attributes).not.toHaveProperty('domain');
    expect(Object.keys(answer.json).sort()).toEqual(['accessToken', 'email', 'expiresIn', 'id', 'refreshToken', 'roles', 'tokenType', 'username']);
  });

  it('authenticates protected routes with the cookie alone; a token header wins over it', async () => {
    const { cookie, user } = await cookieSignIn();
    expect(await api('GET', '/api/test/user', withCookie(cookie))).toMatchObject({ status: 200, text: 'User Content.' });
    expect((await api('GET', '/api/auth/me', withCookie(cookie))).json).toMatchObject({ username: user.username });
    expect((await api('GET', '/api/test/mod', withCookie(cookie))).status).toBe(403);
    // A header token is used even when a valid cookie is there, and a bad one is refused.
    expect(await api('GET', '/api/test/user', withCookie(cookie, { 'x-access-token': 'not.a.token' }))).toMatchObject(statusAndBody(gateway().refused));
  });

  it('accepts the cookie token only as a cookie and an access token only in a header', async () => {
    const { cookie, answer: signedIn } = await cookieSignIn();
    const cookieToken = cookie.slice('jwt_session='.length);
    const { refused, noToken } = gateway();
    expect(await api('GET', '/api/test/user', { token: cookieToken })).toMatchObject(statusAndBody(refused));
    expect(await api('GET', '/api/test/user', withCookie(`jwt_session=${signedIn.json.accessToken}`))).toMatchObject(statusAndBody(refused));
    expect(await api('GET', '/api/test/user')).toMatchObject(statusAndBody(noToken));
  });

  it('reads exactly the name in force: on this plain-http local stage `jwt_session`, never a `__Host-` one', async () => {
    const { cookie } = await cookieSignIn();
    const prefixed = `__Host-${cookie}`;
    expect(await api('GET', '/api/test/user', withCookie(prefixed))).toMatchObject(statusAndBody(gateway().noToken));
    // Sign-out with only the other name has no cookie session to end: `{}` is what it is without one.
    expect(await api('POST', '/api/auth/signout', { body: {}, ...withCookie(prefixed, { origin: ALLOWED }) })).toMatchObject({
      status: 200,
      json: { message: 'No session to sign out: send refreshToken, or all:true with an access token.' },
    });
    expect((await api('GET', '/api/test/user', withCookie(cookie))).status).toBe(200);
  });

  // The authorizer caches its decisions (AUTHORIZER_CACHE=function here): a decision made for one source
  // must not answer for the other. Each pair runs well inside the stack's cache lifetime.
  it('after a cookie use, still refuses the cookie token in a token header', async () => {
    const { cookie } = await cookieSignIn();
    const cookieToken = cookie.slice('jwt_session='.length);
    expect((await api('GET', '/api/test/user', withCookie(cookie))).status).toBe(200);
    expect(await api('GET', '/api/test/user', { token: cookieToken })).toMatchObject(statusAndBody(gateway().refused));
    expect(await api('GET', '/api/test/user', { headers: { authorization: `Bearer ${cookieToken}` } })).toMatchObject(statusAndBody(gateway().refused));
  });

  it('after a header use, still refuses the access token as the cookie, so it never skips the CSRF rule', async () => {
    const { answer: signedIn } = await cookieSignIn();
    const accessToken = signedIn.json.accessToken as string;
    expect((await api('GET', '/api/test/user', { token: accessToken })).status).toBe(200);
    const planted = withCookie(`jwt_session=${accessToken}`);
    expect(await api('GET', '/api/test/user', planted)).toMatchObject(statusAndBody(gateway().refused));
    // A state change with the planted cookie and no Origin: refused by the authorizer, not served as header-borne.
    const change = { body: { currentPassword: 'wrong password', newPassword: 'another password 1' }, ...planted };
    expect(await api('POST', '/api/auth/password', change)).toMatchObject(statusAndBody(gateway().refused));
  });

  it('refuses cookie-authenticated state changes without an allowed Origin (CSRF); token headers are unaffected', async () => {
    const { cookie, answer } = await cookieSignIn();
    const change = { currentPassword: 'wrong password', newPassword: 'another password 1' };
    const csrf = { status: 403, json: { message: 'Origin not allowed.' } };
    expect(await api('POST', '/api/auth/password', { body: change, ...withCookie(cookie) })).toMatchObject(csrf);
    expect(await api('POST', '/api/auth/password', { body: change, ...withCookie(cookie, { origin: FOREIGN }) })).toMatchObject(csrf);
    const sessions = (await api('GET', '/api/auth/sessions', withCookie(cookie))).json.sessions as { id: string }[];
    expect(await api('DELETE', `/api/auth/sessions/${sessions[0]!.id}`, withCookie(cookie))).toMatchObject(csrf);
    // From the allowed origin the request goes through (here to the wrong-password check).
    expect(await api('POST', '/api/auth/password', { body: change, ...withCookie(cookie, { origin: ALLOWED }) })).toMatchObject({
      status: 401,
      json: { message: 'Current password is incorrect!' },
    });
    // A token header needs no Origin.
    expect((await api('POST', '/api/auth/password', { body: change, token: answer.json.accessToken as string })).status).toBe(401);
  });

  it('signs out with {} and the cookie: that session ends and the cookie is cleared', async () => {
    const { cookie } = await cookieSignIn();
    expect(await api('POST', '/api/auth/signout', { body: {}, ...withCookie(cookie) })).toMatchObject({
      status: 403,
      json: { message: 'Origin not allowed.' },
    });
    // Used (its decision cached) just before the sign-out, so the revocation bound is what gets tested.
    expect((await api('GET', '/api/test/user', withCookie(cookie))).status).toBe(200);
    const out = await api('POST', '/api/auth/signout', { body: {}, ...withCookie(cookie, { origin: ALLOWED }) });
    expect(out).toMatchObject({ status: 200, json: { message: "You've been signed out!" } });
    expect(cookieAttributes(out.headers.get('set-cookie'))).toMatchObject({ value: '', 'max-age': '0', path: '/', httponly: true, samesite: 'Lax' });
    // The revocation bound holds for the cookie as for tokens.
    await refusedWithinRevocationBound(() => api('GET', '/api/test/user', withCookie(cookie)));
    // Signing out again with the dead cookie still clears it.
    const again = await api('POST', '/api/auth/signout', { body: {}, ...withCookie(cookie, { origin: ALLOWED }) });
    expect(again.status).toBe(200);
    expect(cookieAttributes(again.headers.get('set-cookie'))).toMatchObject({ 'max-age': '0' });
    // Without a cookie or a refresh token, `{}` ends nothing and says so.
    expect(await api('POST', '/api/auth/signout', { body: {} })).toMatchObject({
      status: 200,
      json: { message: 'No session to sign out: send refreshToken, or all:true with an access token.' },
    });
  });

  it('ends the cookie with the password: a password change stops it within the revocation bound', async () => {
    const { cookie, user } = await cookieSignIn();
    expect((await api('GET', '/api/test/user', withCookie(cookie))).status).toBe(200);
    const changed = await api('POST', '/api/auth/password', {
      body: { currentPassword: user.password, newPassword: 'another password 1' },
      ...withCookie(cookie, { origin: ALLOWED }),
    });
    expect(changed.status).toBe(200);
    await refusedWithinRevocationBound(() => api('GET', '/api/test/user', withCookie(cookie)));
  });

  it("lets an admin's cookie grant roles at sign-up from the allowed origin only", async () => {
    const cookie = sessionCookie(await signIn(admin().username, admin().password));
    const moderator = { ...newUser('cookiemod'), roles: ['moderator'] };
    expect(await api('POST', '/api/auth/signup', { body: moderator, ...withCookie(cookie) })).toMatchObject({
      status: 403,
      json: { message: 'Origin not allowed.' },
    });
    expect((await api('POST', '/api/auth/signup', { body: moderator, ...withCookie(cookie, { origin: ALLOWED }) })).status).toBe(200);
  });
});

describe('CORS with credentials', () => {
  it('allows credentials for the allowed origin on handler answers, preflights and gateway responses', async () => {
    const answer = await api('GET', '/api/test/all', { headers: { origin: ALLOWED } });
    expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
    const preflight = await api('OPTIONS', '/api/auth/signin', {
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const refused = await api('GET', '/api/test/user', { headers: { origin: ALLOWED } });
    expect(refused.status).toBe(gateway().noToken.status);
    expect(refused.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(refused.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('never lets another origin read an answer with credentials', async () => {
    const cors = (response: ApiResponse) => ({
      origin: response.headers.get('access-control-allow-origin'),
      credentials: response.headers.get('access-control-allow-credentials'),
    });
    expect({
      handler: cors(await api('GET', '/api/test/all', { headers: { origin: FOREIGN } })),
      refusal: cors(await api('POST', '/api/auth/signin', { body: { username: 'x', password: 'y' }, headers: { origin: FOREIGN } })),
      preflight: cors(await api('OPTIONS', '/api/auth/signin', { headers: { origin: FOREIGN, 'access-control-request-method': 'POST' } })),
      // An authorizer refusal: on REST a gateway response with its static, configured origin, never the caller's;
      // on an HTTP API the API's CORS configuration, which names no other origin.
      gateway: cors(await api('GET', '/api/test/user', { headers: { origin: FOREIGN } })),
    }).toEqual({
      handler: { origin: null, credentials: null },
      refusal: { origin: null, credentials: null },
      preflight: { origin: null, credentials: null },
      gateway: gateway().refusalCors(FOREIGN, ALLOWED),
    });
  });
});
