import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult } from 'aws-lambda';
import { keyRetentionSeconds } from '../../lib/access/keys';
import { activateKeys, applyWrites, type KeyWrite, retireKeys, rotateKeys, type StoredKeySets } from '../../lib/access/rotation';
import { newKeySet, splitKeySet } from '../../lib/access/signing-keys';
import { KEY_PART_VARIABLES, type KeyPart, loadConfig } from '../../lib/shared/config';
import { localKeyFiles, writeKeyParts } from '../../scripts/local-keys';
import { apiEvent, authorizerEvent } from '../../scripts/lambda-events';
import { newUser } from '../support/data';
import { testAccountConfig } from '../support/account-config';
import { registerUser } from '../../lib/account/sign-up';
import { accountDeps } from '../../lib/account/types';
import { createTable } from '../../lib/store/table';

// Key rotation across warm containers: each "container" is its own instance of the modules (its own
// key caches, decision cache and table client), reading the key files the way deployed functions read
// their SSM parameters, each given only the parts its function is given in serverless.yml (the verifier
// has no name for the signing keys), against the real DynamoDB Local. The key writes are applied one by
// one, in the order keys:* makes them. Only the clock is ours: Date is faked (timers are not), so the
// key set's maximum age and token lifetimes can pass without waiting for them.
const MAX_AGE_MS = 60_000;
const ACCESS_TTL = 900;
const COOKIE_TTL = 86_400;
const retentionSeconds = keyRetentionSeconds({ accessTokenTtlSeconds: ACCESS_TTL, refreshTokenTtlSeconds: COOKIE_TTL, keySetMaxAgeSeconds: MAX_AGE_MS / 1000 });
let dir: string;
let files: Record<KeyPart, string>;
let current: StoredKeySets;

/** Which parts each kind of container is named (serverless.yml: signin; the authorizer and the JWKS). */
const PARTS = { issuer: ['signing'], verifier: ['public'] } as const;

type Issuer = { signIn: (user: { username: string; password: string }) => Promise<{ accessToken: string; cookieToken: string; cookieName: string }> };
type Verifier = {
  authorize: (headers: Record<string, string>) => Promise<'Allow' | 'Deny'>;
  jwksKids: () => Promise<string[]>;
};

/** Loads modules with only `parts` named in the environment, as a function deployed with them is. */
function withParts<T>(parts: readonly KeyPart[], load: () => T): T {
  const saved = { ...process.env };
  for (const part of Object.keys(KEY_PART_VARIABLES) as KeyPart[]) {
    for (const name of Object.values(KEY_PART_VARIABLES[part])) delete process.env[name];
    if (parts.includes(part)) process.env[KEY_PART_VARIABLES[part].file] = files[part];
  }
  try {
    let modules!: T;
    jest.isolateModules(() => {
      modules = load();
    });
    return modules;
  } finally {
    process.env = saved;
  }
}

// Its own source address: the signin handler reads LOCKOUT_IP_THRESHOLD from the environment (100), and
// other files of this tier sign in from 127.0.0.1 into the same table within the window (CI saw a 429).
const ROTATION_IP = '127.0.77.1';

function issuer(): Issuer {
  const signin = withParts(PARTS.issuer, () => require('../../handlers/auth/signin') as typeof import('../../handlers/auth/signin'));
  return {
    signIn: async (user) => {
      const request = apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user), sourceIp: ROTATION_IP });
      let response = (await signin.handler(request)) as APIGatewayProxyResult;
      // A 503 is the request's 2 s budget running out on a loaded machine (DynamoDB Local), never a key
      // refused (that is a 401): asked again, a few times at most.
      for (let attempt = 1; response.statusCode === 503 && attempt < 5; attempt++) response = (await signin.handler(request)) as APIGatewayProxyResult;
      expect(response.statusCode).toBe(200);
      const cookie = String(response.headers?.['set-cookie'] ?? '');
      // The cookie as the browser sends it back: its name (the stage's, `__Host-` prefixed by default) and token.
      const [, cookieName, cookieToken] = /^((?:__Host-)?jwt_session)=([^;]+)/.exec(cookie)!;
      return { accessToken: (JSON.parse(response.body) as { accessToken: string }).accessToken, cookieToken: cookieToken!, cookieName: cookieName! };
    },
  };
}

function verifier(): Verifier {
  const modules = withParts(PARTS.verifier, () => ({
    authorizer: require('../../handlers/access/authorizer') as typeof import('../../handlers/access/authorizer'),
    jwks: require('../../handlers/access/jwks') as typeof import('../../handlers/access/jwks'),
  }));
  return {
    authorize: async (headers) => {
      const result = (await modules.authorizer.handler(authorizerEvent(headers))) as APIGatewayAuthorizerResult;
      return result.policyDocument.Statement[0]!.Effect as 'Allow' | 'Deny';
    },
    jwksKids: async () => (JSON.parse((await modules.jwks.handler(apiEvent({}))).body) as { keys: { kid: string }[] }).keys.map((k) => k.kid),
  };
}

const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
const clock = () => ({ now: new Date(), retentionSeconds });

/** Stores the writes of a keys:* command one by one, as the script does. */
async function store(writes: KeyWrite[] | Promise<KeyWrite[]>) {
  for (const write of await writes) {
    current = applyWrites(current, [write]);
    await writeFile(files[write.part], write.value, { mode: 0o600 });
  }
}

let user: ReturnType<typeof newUser>;

// Each test starts from a key store of its own holding one key, k1: none depends on the keys another
// left behind (nor on the order tests run in).
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotation-'));
  files = localKeyFiles(dir);
  const parts = splitKeySet(await newKeySet('k1'), new Date());
  await writeKeyParts(dir, parts);
  current = { signing: parts.signing, public: parts.public };
});

afterEach(() => rm(dir, { recursive: true, force: true }));

beforeAll(async () => {
  Object.assign(process.env, {
    KEY_SET_MAX_AGE: String(MAX_AGE_MS / 1000),
    ACCESS_TOKEN_TTL: String(ACCESS_TTL),
    REFRESH_TOKEN_TTL: String(COOKIE_TTL),
    // Long enough that only a retired key, not the cache's own expiry, can end a cached Allow here.
    AUTHORIZER_CACHE_TTL: '3600',
    BCRYPT_COST: '4',
    POWERTOOLS_LOG_LEVEL: process.env.DEBUG_LOG ? 'DEBUG' : 'SILENT',
  });
  jest.useFakeTimers({
    doNotFake: [
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'nextTick',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
    now: new Date(),
  });
  // A user in the shared table, made without a request's deadline (sign-up is not what is tested here).
  user = newUser('rotation');
  const table = createTable(loadConfig());
  await registerUser(accountDeps(table, testAccountConfig), user, ['user'], undefined);
  table.client.destroy();
});

afterAll(() => {
  jest.useRealTimers();
});

const pass = (ms: number) => jest.setSystemTime(Date.now() + ms);

describe('key rotation across warm containers, with the signing keys apart from the public set', () => {
  it('publishes, activates and retires keys without a refused valid token, and retires at once when asked', async () => {
    const a = issuer();
    const b = issuer();
    const checkA = verifier();
    const checkB = verifier();
    const { accessToken: tokenA1 } = await a.signIn(user);
    expect(kidOf(tokenA1)).toBe('k1');
    expect(await checkA.authorize({ 'x-access-token': tokenA1 })).toBe('Allow');
    expect(await checkB.authorize({ 'x-access-token': tokenA1 })).toBe('Allow');

    // Phase 1: the next key is published verify-only; within the maximum age every verifier serves it,
    // though none of them may read the signing keys.
    await store(rotateKeys(current, clock(), 'k2'));
    pass(MAX_AGE_MS);
    expect(await checkA.jwksKids()).toEqual(['k1', 'k2']);
    expect(await checkB.jwksKids()).toEqual(['k1', 'k2']);
    expect(kidOf((await a.signIn(user)).accessToken)).toBe('k1');

    // Phase 2: k2 signs. B reads the set first and signs with it; the verifiers, still inside their
    // maximum age, verify B's token all the same, and A's older tokens keep working.
    await store(activateKeys(current, clock(), 'k2'));
    pass(MAX_AGE_MS);
    const { accessToken: tokenB2 } = await b.signIn(user);
    expect(kidOf(tokenB2)).toBe('k2');
    expect(await checkA.authorize({ 'x-access-token': tokenB2 })).toBe('Allow');
    expect(await checkA.authorize({ 'x-access-token': tokenA1 })).toBe('Allow');

    // Retire k1 (say it leaked): once containers read the set again, its tokens are refused, even
    // where an Allow for them was cached; tokens of k2 are not touched.
    await store(retireKeys(current, 'k1', clock()));
    pass(MAX_AGE_MS);
    expect(await checkA.authorize({ 'x-access-token': tokenA1 })).toBe('Deny');
    expect(await checkB.authorize({ 'x-access-token': tokenA1 })).toBe('Deny');
    expect(await checkA.authorize({ 'x-access-token': tokenB2 })).toBe('Allow');
    expect(await checkA.jwksKids()).toEqual(['k2']);
  });

  it('verifies a token signed with a key a warm verifier has never seen, without waiting for the maximum age', async () => {
    const warm = verifier();
    const before = await issuer().signIn(user);
    expect(await warm.authorize({ 'x-access-token': before.accessToken })).toBe('Allow');
    expect(kidOf(before.accessToken)).toBe('k1');
    // Both phases at once (an operator who did not wait): the warm verifier missed the publication.
    await store(rotateKeys(current, clock(), 'k2'));
    await store(activateKeys(current, clock(), 'k2'));
    const { accessToken } = await issuer().signIn(user);
    expect(kidOf(accessToken)).toBe('k2');
    // Past the reload cooldown, well inside the maximum age.
    pass(10_000);
    expect(await warm.authorize({ 'x-access-token': accessToken })).toBe('Allow');
  });

  it('keeps a key that stopped signing public for as long as a cookie token it signed lives, through the next rotation', async () => {
    const signer = issuer();
    const check = verifier();
    const { cookieToken, cookieName } = await signer.signIn(user);
    const retiring = kidOf(cookieToken);
    expect(retiring).toBe('k1');
    const next = 'k2';
    const cookie = { cookie: `${cookieName}=${cookieToken}` };
    expect(await check.authorize(cookie)).toBe('Allow');

    await store(rotateKeys(current, clock(), next));
    pass(5 * 60_000);
    await store(activateKeys(current, clock(), next));
    // An access token's lifetime and the maximum age later (when the next rotation used to drop the
    // key), the next rotation runs; the cookie token, signed just before the activation, still lives.
    pass((ACCESS_TTL + 60) * 1000 + MAX_AGE_MS);
    await store(rotateKeys(current, clock(), 'k3'));
    pass(MAX_AGE_MS);
    expect(await check.jwksKids()).toContain(retiring);
    expect(await check.authorize(cookie)).toBe('Allow');

    // Near the end of the cookie's life, still published; past it (and the maximum age), gone from the
    // public set as loaded, with no rotation needed, and the next rotation removes it from the store.
    pass((COOKIE_TTL - ACCESS_TTL - 60 - 5 * 60 - 3 * 60) * 1000);
    expect(await check.jwksKids()).toContain(retiring);
    pass(retentionSeconds * 1000 - (COOKIE_TTL - 5 * 60) * 1000 + 2 * MAX_AGE_MS);
    expect(await check.jwksKids()).not.toContain(retiring);
    await store(activateKeys(current, clock()));
    expect(current.public).not.toContain(`"${retiring}"`);
  });
});
