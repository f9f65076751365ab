import { newKeySet } from '../../lib/access/signing-keys';
import { startApiStack, type ApiStack } from '../../scripts/local-stack';
import { eventually } from '../support/api';
import { newUser } from '../support/data';

// AUTHORIZER_CACHE=gateway: API Gateway caches the authorizer's decisions, keyed by the Authorization
// header, and refuses requests without that header itself. This file runs its own stack in that mode;
// deploy/offline/authorizer-emulation.cjs plays API Gateway's part (the same emulation every e2e test uses).
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

async function signedIn() {
  const user = newUser();
  expect((await call('POST', '/api/auth/signup', {}, user)).status).toBe(200);
  const login = await call('POST', '/api/auth/signin', {}, { username: user.username, password: user.password });
  expect(login.status).toBe(200);
  return login.json.accessToken as string;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  stack = await startApiStack({
    keySet: await newKeySet('gateway-cache-key'),
    env: { AUTHORIZER_CACHE: 'gateway', AUTHORIZER_CACHE_TTL: String(TTL_SECONDS), BCRYPT_COST: '4', CORS_ORIGIN: 'http://localhost:8081' },
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
