import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { activateKey, generateSigningKey, prepareNextKey, retireKey } from '../../lib/access/keys';
import { apiEvent, authorizerEvent } from '../support/events';
import { newUser } from '../support/data';

// Key rotation across warm containers: each "container" is its own instance of the modules (its own
// key set cache, decision cache and table client), reading the same key file the way deployed
// functions read the SSM parameter, against the real DynamoDB Local. Only the clock is ours: Date is
// faked (timers are not), so the key set's maximum age can pass without waiting for it.
const MAX_AGE_MS = 60_000;
let dir: string;
let keyFile: string;
let current: string;

type Container = {
  authorize: (token: string) => Promise<'Allow' | 'Deny'>;
  signIn: (user: { username: string; password: string }) => Promise<string>;
  jwksKids: () => Promise<string[]>;
};

function container(): Container {
  let modules!: {
    authorizer: typeof import('../../handlers/access/authorizer');
    jwks: typeof import('../../handlers/access/jwks');
    signin: typeof import('../../handlers/auth/signin');
  };
  jest.isolateModules(() => {
    modules = {
      authorizer: require('../../handlers/access/authorizer'),
      jwks: require('../../handlers/access/jwks'),
      signin: require('../../handlers/auth/signin'),
    };
  });
  return {
    authorize: async (token) => {
      const result = (await modules.authorizer.handler(authorizerEvent({ 'x-access-token': token }))) as APIGatewayAuthorizerResult;
      return result.policyDocument.Statement[0]!.Effect as 'Allow' | 'Deny';
    },
    signIn: async (user) => {
      const response = await modules.signin.handler(
        apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) }),
      );
      expect(response.statusCode).toBe(200);
      return (JSON.parse(response.body) as { accessToken: string }).accessToken;
    },
    jwksKids: async () => (JSON.parse((await modules.jwks.handler(apiEvent({}))).body) as { keys: { kid: string }[] }).keys.map((k) => k.kid),
  };
}

const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

async function store(next: string) {
  current = next;
  await writeFile(keyFile, next, { mode: 0o600 });
}

let user: ReturnType<typeof newUser>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotation-'));
  keyFile = join(dir, 'keys.json');
  await store(JSON.stringify({ keys: [await generateSigningKey('k1')] }));
  Object.assign(process.env, {
    SIGNING_KEY_FILE: keyFile,
    KEY_SET_MAX_AGE: String(MAX_AGE_MS / 1000),
    // Long enough that only a retired key, not the cache's own expiry, can end a cached Allow here.
    AUTHORIZER_CACHE_TTL: '3600',
    BCRYPT_COST: '4',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  jest.useFakeTimers({
    doNotFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask', 'hrtime', 'performance'],
    now: new Date(),
  });
  // A user signed up through the handler of a throwaway container (the table is the shared one).
  user = newUser('rotation');
  let signup!: typeof import('../../handlers/auth/signup');
  jest.isolateModules(() => {
    signup = require('../../handlers/auth/signup');
  });
  const created = await signup.handler(apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) }));
  expect(created.statusCode).toBe(200);
});

afterAll(async () => {
  jest.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

const pass = (ms: number) => jest.setSystemTime(Date.now() + ms);

describe('key rotation across warm containers', () => {
  it('publishes, activates and retires keys without a refused valid token, and retires at once when asked', async () => {
    const a = container();
    const b = container();
    const tokenA1 = await a.signIn(user);
    expect(kidOf(tokenA1)).toBe('k1');
    expect(await a.authorize(tokenA1)).toBe('Allow');
    expect(await b.authorize(tokenA1)).toBe('Allow');

    // Phase 1: the next key is published verify-only; within the maximum age every container serves it.
    await store(await prepareNextKey(current, 'k2'));
    pass(MAX_AGE_MS);
    expect(await a.jwksKids()).toEqual(['k1', 'k2']);
    expect(await b.jwksKids()).toEqual(['k1', 'k2']);
    expect(kidOf(await a.signIn(user))).toBe('k1');

    // Phase 2: k2 signs. B reads the set first and signs with it; A, still inside its maximum age,
    // verifies B's token all the same, and its own older tokens keep working.
    await store(activateKey(current, 'k2'));
    pass(MAX_AGE_MS);
    const tokenB2 = await b.signIn(user);
    expect(kidOf(tokenB2)).toBe('k2');
    expect(await a.authorize(tokenB2)).toBe('Allow');
    expect(await a.authorize(tokenA1)).toBe('Allow');

    // Retire k1 (say it leaked): once containers read the set again, its tokens are refused, even
    // where an Allow for them was cached; tokens of k2 are not touched.
    await store(await retireKey(current, 'k1'));
    pass(MAX_AGE_MS);
    expect(await a.authorize(tokenA1)).toBe('Deny');
    expect(await b.authorize(tokenA1)).toBe('Deny');
    expect(await a.authorize(tokenB2)).toBe('Allow');
    expect(await a.jwksKids()).toEqual(['k2']);
  });

  it('verifies a token signed with a key a warm container has never seen, without waiting for the maximum age', async () => {
    const warm = container();
    const before = await warm.signIn(user);
    expect(await warm.authorize(before)).toBe('Allow');
    // Both phases at once (an operator who did not wait): the warm container missed the publication.
    await store(activateKey(await prepareNextKey(current, 'k3'), 'k3'));
    const cold = container();
    const token = await cold.signIn(user);
    expect(kidOf(token)).toBe('k3');
    // Past the reload cooldown, well inside the maximum age.
    pass(10_000);
    expect(await warm.authorize(token)).toBe('Allow');
  });
});
