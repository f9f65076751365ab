import { authorizerResult } from '../../lib/access/policy';
import { authorize, DecisionCache, GATEWAY_IDENTITY_HEADER, type AuthenticateDeps } from '../../lib/access/authenticate';
import type { SigningKeys } from '../../lib/access/signing-keys';
import { issueAccessToken } from '../../lib/access/tokens';
import { testKeySet } from '../support/keys';
import { logger } from '../../lib/shared/log';
import { splitKeySet } from '../../lib/access/signing-keys';
import { inlineKeyEnv } from '../../scripts/local-keys';
import { authorizerEvent } from '../../scripts/lambda-events';

// No network here: the session check is a stand-in that counts calls or fails (fault injection). What it
// answers is never the point: liveness itself is tested on the rule (unit/session-liveness.test.ts) and
// through the real authorizer and checker against DynamoDB Local (integration/authorizer.test.ts).
let keys: SigningKeys;
const settings = { issuer: 'iss', audience: 'aud' };
const now = new Date('2026-05-01T00:00:00Z');
const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/api/test/user';
const COOKIE = '__Host-jwt_session';

beforeAll(async () => {
  keys = (await testKeySet()).keys;
});

const token = (roles: ('user' | 'admin')[] = ['user'], at = now) =>
  issueAccessToken(keys, { userId: 'u-1', roles, sessionId: 's-1' }, { ...settings, now: at, ttlSeconds: 60 });

function deps(live: boolean | Error, cache?: DecisionCache): AuthenticateDeps & { checks: number } {
  const result = {
    keys,
    settings,
    sessionCookie: COOKIE,
    checks: 0,
    isSessionLive: async () => {
      result.checks++;
      if (live instanceof Error) throw live;
      return live;
    },
    ...(cache ? { cache } : {}),
  };
  return result;
}

describe('authorizer decision', () => {
  it('allows the whole API, so a cached policy also fits the next route, and passes the identity on', async () => {
    const outcome = await authorize(deps(true), { 'x-access-token': await token(['user', 'admin']) }, now);
    const result = authorizerResult(outcome, methodArn);
    expect(result.principalId).toBe('u-1');
    // The policy language's version: without it (or with another) API Gateway refuses the policy.
    expect(result.policyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*' }],
    });
    expect(result.context).toEqual({ userId: 'u-1', sessionId: 's-1', roles: '["user","admin"]', via: 'header' });
  });

  it.each([
    [{}, 'No token provided!'],
    [{ 'x-access-token': 'not-a-jwt' }, 'Unauthorized!'],
  ])('denies %j with the message for the gateway response', async (headers, message) => {
    const result = authorizerResult(await authorize(deps(true), headers, now), methodArn);
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(result.context).toEqual({ message });
  });

  it('says when the token has expired', async () => {
    const expired = await token(['user'], new Date(now.getTime() - 3_600_000));
    expect(await authorize(deps(true), { authorization: `Bearer ${expired}` }, now)).toEqual({
      allow: false,
      message: 'Unauthorized! Access Token was expired!',
    });
  });

  it('fails closed when the session cannot be checked', async () => {
    await expect(authorize(deps(new Error('ECONNREFUSED')), { 'x-access-token': await token() }, now)).rejects.toThrow('ECONNREFUSED');
  });

  it('asks the table once per cache lifetime, and again after it', async () => {
    const cache = new DecisionCache(30_000);
    const d = deps(true, cache);
    const headers = { 'x-access-token': await token() };
    await authorize(d, headers, now);
    await authorize(d, headers, new Date(now.getTime() + 29_000));
    expect(d.checks).toBe(1);
    await authorize(d, headers, new Date(now.getTime() + 30_001));
    expect(d.checks).toBe(2);
  });

  // A decision is about a token *as presented*: the day-long cookie token must never pass as an access
  // token, and an access token planted as the cookie must never skip the CSRF rule as if header-borne.
  const cookieToken = () =>
    issueAccessToken(keys, { userId: 'u-1', roles: ['user'], sessionId: 's-1' }, { ...settings, now, ttlSeconds: 86_400, via: 'cookie' });

  it('after a cookie use, refuses the cookie token in a token header', async () => {
    const cache = new DecisionCache(30_000);
    const sessionToken = await cookieToken();
    expect(await authorize(deps(true, cache), { cookie: `${COOKIE}=${sessionToken}` }, now)).toMatchObject({ allow: true, claims: { via: 'cookie' } });
    for (const headers of [{ 'x-access-token': sessionToken }, { authorization: `Bearer ${sessionToken}` }]) {
      expect(await authorize(deps(true, cache), headers, now)).toEqual({ allow: false, message: 'Unauthorized!' });
    }
  });

  it('after a header use, refuses the access token as the session cookie', async () => {
    const cache = new DecisionCache(30_000);
    const accessToken = await token();
    const allowed = await authorize(deps(true, cache), { 'x-access-token': accessToken }, now);
    expect(allowed).toMatchObject({ allow: true });
    expect(allowed.allow && allowed.claims.via).toBeUndefined();
    expect(await authorize(deps(true, cache), { cookie: `${COOKIE}=${accessToken}` }, now)).toEqual({ allow: false, message: 'Unauthorized!' });
  });

  it('keeps one decision per source: each is served from the cache as it was made', async () => {
    const cache = new DecisionCache(30_000);
    const d = deps(true, cache);
    const sessionToken = await cookieToken();
    const accessToken = await token();
    for (let round = 0; round < 2; round++) {
      expect(await authorize(d, { cookie: `${COOKIE}=${sessionToken}` }, now)).toMatchObject({ allow: true, claims: { via: 'cookie' } });
      const header = await authorize(d, { authorization: `Bearer ${accessToken}` }, now);
      expect(header.allow && header.claims.via).toBeUndefined();
    }
    // One table read per (source, token), the second round from the cache.
    expect(d.checks).toBe(2);
  });

  it('with API Gateway caching (keyed by Authorization), decides from that header alone', async () => {
    const gateway: AuthenticateDeps = { ...deps(true), identityHeader: GATEWAY_IDENTITY_HEADER };
    const sessionToken = await cookieToken();
    const accessToken = await token();
    // A value API Gateway counts as present, holding no token: neither the cookie nor x-access-token may decide for it.
    for (const beside of [{ cookie: `${COOKIE}=${sessionToken}` }, { 'x-access-token': accessToken }]) {
      expect(await authorize(gateway, { authorization: '\u00a0', ...beside }, now)).toEqual({ allow: false, message: 'No token provided!' });
    }
    expect(await authorize(gateway, { authorization: `Bearer ${accessToken}`, 'x-access-token': 'another' }, now)).toMatchObject({ allow: true });
    expect(await authorize(gateway, { authorization: `Bearer ${sessionToken}` }, now)).toEqual({ allow: false, message: 'Unauthorized!' });
  });

  it('never caches past the token expiry', async () => {
    const cache = new DecisionCache(3_600_000);
    const headers = { 'x-access-token': await token() };
    await authorize(deps(true, cache), headers, now);
    expect(await authorize(deps(true, cache), headers, new Date(now.getTime() + 61_000))).toEqual({
      allow: false,
      message: 'Unauthorized! Access Token was expired!',
    });
  });
});

describe('decision cache', () => {
  const claims = (userId: string) => ({ userId, roles: ['user' as const], sessionId: 's-1', expiresAt: 2_000_000_000 });

  it('serves an entry until its lifetime is over, and not at its end', () => {
    const cache = new DecisionCache(1_000);
    cache.set('header', 't', claims('u-1'), 5_000);
    expect(cache.get('header', 't', 5_999)).toEqual(claims('u-1'));
    expect(cache.get('header', 't', 6_000)).toBeUndefined();
    // An expired entry is gone, not just hidden: a later clock reading earlier does not bring it back.
    expect(cache.get('header', 't', 5_500)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest first', () => {
    const cache = new DecisionCache(60_000, 2);
    cache.set('header', 'a', claims('u-a'), 0);
    cache.set('header', 'b', claims('u-b'), 0);
    cache.set('header', 'c', claims('u-c'), 0);
    expect([cache.get('header', 'a', 1), cache.get('header', 'b', 1), cache.get('header', 'c', 1)]).toEqual([undefined, claims('u-b'), claims('u-c')]);
  });

  it('caches nothing with a lifetime of 0, and forgets everything on clear()', () => {
    const off = new DecisionCache(0);
    off.set('header', 't', claims('u-1'), 0);
    // Nothing was stored at all: not even a clock reading earlier (a step back) finds it.
    expect(off.get('header', 't', -1)).toBeUndefined();
    expect(off.get('header', 't', 0)).toBeUndefined();
    const negative = new DecisionCache(-1_000);
    negative.set('header', 't', claims('u-1'), 5_000);
    expect(negative.get('header', 't', 0)).toBeUndefined();
    const cache = new DecisionCache(60_000);
    cache.set('cookie', 't', claims('u-1'), 0);
    cache.clear();
    expect(cache.get('cookie', 't', 1)).toBeUndefined();
  });
});

describe('the authorizer handler, with API Gateway caching (AUTHORIZER_CACHE=gateway)', () => {
  // The real handler, configured at its import (cold start) for gateway caching. Its table is a closed
  // port: a decision that reached the session check would throw, so none here may need it.
  let handler: typeof import('../../handlers/access/authorizer').handler;
  const saved = { ...process.env };
  // The handler's own key set: testKeySet() makes a new one per call.
  let ownKeys: SigningKeys;
  beforeAll(async () => {
    const { json, keys: own } = await testKeySet();
    ownKeys = own;
    Object.assign(process.env, {
      PUBLIC_KEYS: inlineKeyEnv(splitKeySet(json, new Date())).PUBLIC_KEYS,
      JWT_ISSUER: settings.issuer,
      JWT_AUDIENCE: settings.audience,
      AUTHORIZER_CACHE: 'gateway',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    });
    ({ handler } = await import('../../handlers/access/authorizer'));
  });
  afterAll(() => {
    process.env = saved;
  });

  it('decides from the Authorization header alone: a token in x-access-token is no credential', async () => {
    // API Gateway keys its cached decision by Authorization only; an Allow for another header's token would
    // be served to every request with that Authorization value.
    const result = await handler(authorizerEvent({ 'x-access-token': await token() }));
    expect(result.context).toEqual({ message: 'No token provided!' });
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
  });

  it("releases the request's deadline timer once it has decided", async () => {
    // A timer left pending would keep a warm container's event loop busy after every request.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      await handler(authorizerEvent({ 'x-access-token': 'x' }));
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('fails closed when the table cannot be asked, logging the route and the error', async () => {
    // The real session check against a closed port: it throws, and API Gateway answers 503, never Allow.
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const live = await issueAccessToken(ownKeys, { userId: 'u-1', roles: ['user'], sessionId: 's-1' }, { ...settings, now: new Date(), ttlSeconds: 60 });
      await expect(handler(authorizerEvent({ authorization: `Bearer ${live}` }))).rejects.toThrow();
      expect(error.mock.calls).toEqual([['authorizer failed', { route: 'GET /api/test/user', error: expect.stringMatching(/\S/) }]]);
    } finally {
      error.mockRestore();
    }
  });
});
