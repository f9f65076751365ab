import { newKeySet } from '../../lib/access/signing-keys';
import { startApiStack, type ApiStack } from '../../scripts/local-stack';
import { eventually } from '../support/api';
import { newUser } from '../support/data';

// AUTHORIZER_CACHE=gateway: API Gateway caches the authorizer's decisions, keyed by the Authorization
// header, and refuses requests without that header itself. This file runs its own stack in that mode;
// deploy/offline/authorizer-emulation.cjs plays API Gateway's part (the same emulation every e2e test uses).
// A REST API whatever API_GATEWAY says: these are the REST API's cache and gateway responses
// (npm run test:e2e:http leaves this file out: tests/e2e/jest.http.config.js).
const TTL_SECONDS = 3;
let stack: ApiStack;

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function signIn() {
  const user = newUser();
  expect((await call('POST', '/api/auth/signup', {}, user)).status).toBe(200);
  const login = await call('POST', '/api/auth/signin', {}, { username: user.username, password: user.password });
  expect(login.status).toBe(200);
  const cookie = /^(jwt_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error(`no session cookie in ${login.headers.get('set-cookie')}`);
  return { accessToken: login.json.accessToken as string, cookie };
}

async function signedIn() {
  return (await signIn()).accessToken;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  stack = await startApiStack({
    keySet: await newKeySet('gateway-cache-key'),
    env: {
      API_GATEWAY: 'rest',
      AUTHORIZER_CACHE: 'gateway',
      AUTHORIZER_CACHE_TTL: String(TTL_SECONDS),
      BCRYPT_COST: '4',
      CORS_ORIGIN: 'http://localhost:8081',
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('AUTHORIZER_CACHE=gateway', () => {
  it('refuses a request without the Authorization header, x-access-token alone included, with 401 "No token provided!"', async () => {
    const token = await signedIn();
    const variants: Record<string, string>[] = [{}, { 'x-access-token': token }, { authorization: '' }];
    for (const headers of variants) {
      const response = await call('GET', '/api/test/user', headers);
      expect({ headers, status: response.status, body: response.json }).toEqual({ headers, status: 401, body: { message: 'No token provided!' } });
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8081');
    }
  });

  it('serves every protected route from one cached decision, roles still checked per route', async () => {
    const token = await signedIn();
    expect(await call('GET', '/api/test/user', bearer(token))).toMatchObject({ status: 200, text: 'User Content.' });
    expect(await call('GET', '/api/auth/me', bearer(token))).toMatchObject({ status: 200 });
    expect(await call('GET', '/api/test/mod', bearer(token))).toMatchObject({ status: 403, json: { message: 'Require Moderator Role!' } });
    expect(await call('GET', '/api/test/admin', bearer(token))).toMatchObject({ status: 403, json: { message: 'Require Admin Role!' } });
  });

  // API Gateway caches the decision under the Authorization header's value alone, so the decision must
  // rest on nothing else. A value the gateway counts as present but that holds no token (here a no-break
  // space, which the emulation lets through and JavaScript's trim() removes) must not let the cookie or
  // x-access-token decide instead: that Allow would be served to every request carrying the same value.
  it('decides from the Authorization header alone: a cookie or x-access-token beside a blank one is never cached for others', async () => {
    const { accessToken, cookie } = await signIn();
    const blank = '\u00a0';
    for (const other of [{ cookie }, { 'x-access-token': accessToken }] as Record<string, string>[]) {
      const response = await call('GET', '/api/test/user', { authorization: blank, ...other });
      expect({ other, status: response.status }).toEqual({ other, status: 401 });
    }
    // Whatever was decided for that value, a request with nothing else gets no one's identity from the cache.
    expect(await call('GET', '/api/auth/me', { authorization: blank })).toMatchObject({ status: 401 });
    // The cookie alone never reaches the authorizer in this mode.
    expect(await call('GET', '/api/test/user', { cookie })).toMatchObject({ status: 401, json: { message: 'No token provided!' } });
  });

  it('after a Bearer use, the same header with a cookie beside it is still that token, and the cookie token is refused as a Bearer', async () => {
    const { accessToken, cookie } = await signIn();
    const other = await signIn();
    expect(await call('GET', '/api/auth/me', bearer(accessToken))).toMatchObject({ status: 200 });
    const me = await call('GET', '/api/auth/me', { ...bearer(accessToken), cookie: other.cookie });
    expect(me.json.id).toBe((await call('GET', '/api/auth/me', bearer(accessToken))).json.id);
    expect(await call('GET', '/api/test/user', bearer(cookie.slice('jwt_session='.length)))).toMatchObject({ status: 401, json: { message: 'Unauthorized!' } });
  });

  it("refuses a bad token with the authorizer's own message", async () => {
    const response = await call('GET', '/api/test/user', { authorization: 'Bearer not-a-jwt' });
    expect({ status: response.status, body: response.json }).toEqual({ status: 401, body: { message: 'Unauthorized!' } });
  });

  it('keeps a decision for the TTL, so a sign-out reaches the access token within that bound', async () => {
    const token = await signedIn();
    expect(await call('GET', '/api/test/user', bearer(token))).toMatchObject({ status: 200 });
    expect(await call('POST', '/api/auth/signout', bearer(token), { all: true })).toMatchObject({ status: 200 });
    // Still allowed from the cache (the function's own cache is off in this mode, so nothing else
    // could answer without reading the now-revoked session)...
    expect(await call('GET', '/api/test/user', bearer(token))).toMatchObject({ status: 200 });
    // ...and refused once the cached decision has expired.
    await eventually(async () => (await call('GET', '/api/test/user', bearer(token))).status === 401, TTL_SECONDS * 1000 + 1000);
    expect(await call('GET', '/api/test/user', bearer(token))).toMatchObject({ status: 401, json: { message: 'Unauthorized!' } });
  });
});
