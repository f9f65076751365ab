import { activateKey, importSigningKeys, KeySetCache, prepareNextKey, retireKey, type SigningKeys } from '../../lib/access/keys';
import { issueAccessToken, verifyAccessToken } from '../../lib/access/tokens';
import { testKeySet } from '../support/keys';

const settings = { issuer: 'i', audience: 'a' };
const kids = (keys: SigningKeys) => keys.jwks.keys.map((key) => key.kid);
const sign = (keys: SigningKeys) =>
  issueAccessToken(keys, { userId: 'u', roles: ['user'], sessionId: 's' }, { ...settings, now: new Date(), ttlSeconds: 60 });
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string };

describe('two-phase key rotation', () => {
  it('publishes the next key verify-only, then signs with it while the previous key still verifies', async () => {
    const before = await testKeySet();
    const oldToken = await sign(before.keys);

    const prepared = await prepareNextKey(before.json, 'next-key');
    const published = await importSigningKeys(prepared);
    expect(published.signer.kid).toBe('test-key');
    expect(kids(published)).toEqual(['test-key', 'next-key']);
    expect(header(await sign(published)).kid).toBe('test-key');

    const active = await importSigningKeys(activateKey(prepared));
    expect(active.signer.kid).toBe('next-key');
    expect(kids(active)).toEqual(['test-key', 'next-key']);
    await expect(verifyAccessToken(active, oldToken, { ...settings, now: new Date() })).resolves.toMatchObject({ userId: 'u' });
    expect(header(await sign(active)).kid).toBe('next-key');
  });

  it('drops keys other than the signing one at the next rotation', async () => {
    const first = await testKeySet();
    const second = activateKey(await prepareNextKey(first.json, 'second'));
    const third = await importSigningKeys(await prepareNextKey(second, 'third'));
    expect(kids(third)).toEqual(['second', 'third']);
    expect(third.signer.kid).toBe('second');
  });

  it('retires a key at once: a verifying key leaves; a retired signer hands over to another key, or a new one', async () => {
    const first = await testKeySet();
    const both = activateKey(await prepareNextKey(first.json, 'second'));
    const withoutOld = await importSigningKeys(await retireKey(both, 'test-key'));
    expect(kids(withoutOld)).toEqual(['second']);
    const oldToken = await sign(first.keys);
    await expect(verifyAccessToken(withoutOld, oldToken, { ...settings, now: new Date() })).rejects.toThrow('Unauthorized!');

    const handedOver = await importSigningKeys(await retireKey(both, 'second'));
    expect(handedOver.signer.kid).toBe('test-key');
    const fresh = await importSigningKeys(await retireKey(first.json, 'test-key', 'replacement'));
    expect(kids(fresh)).toEqual(['replacement']);
    await expect(retireKey(first.json, 'nope')).rejects.toThrow('no key "nope"');
  });

  it('never puts private members in the JWKS', async () => {
    const { keys } = await testKeySet();
    for (const key of keys.jwks.keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
  });
});

describe('a warm container\'s key set', () => {
  async function setup() {
    const sets = [await importSigningKeys((await testKeySet()).json)];
    let now = 0;
    let loads = 0;
    let failing = false;
    const cache = new KeySetCache(
      async () => {
        loads++;
        if (failing) throw new Error('SSM unreachable');
        return sets.at(-1)!;
      },
      { maxAgeMs: 60_000, unknownKidCooldownMs: 10_000, now: () => now },
    );
    return {
      cache,
      setNext: (keys: SigningKeys) => sets.push(keys),
      advance: (ms: number) => (now += ms),
      loads: () => loads,
      fail: (value: boolean) => (failing = value),
    };
  }

  it('is read again after its maximum age, not before', async () => {
    const world = await setup();
    const first = await world.cache.get();
    const next = await importSigningKeys(await prepareNextKey((await testKeySet()).json, 'k2'));
    world.setNext(next);
    world.advance(59_000);
    expect(await world.cache.get()).toBe(first);
    world.advance(1_000);
    expect(await world.cache.get()).toBe(next);
    expect(world.loads()).toBe(2);
  });

  it('is read again at once for an unknown kid, at most once per cooldown', async () => {
    const world = await setup();
    await world.cache.get();
    const next = await importSigningKeys(activateKey(await prepareNextKey((await testKeySet()).json, 'k2')));
    world.setNext(next);
    // Warm for a while (the cooldown also follows the cold start's own load), within the maximum age.
    world.advance(10_000);
    expect(await world.cache.withKid('k2')).toBe(next);
    expect(world.loads()).toBe(2);
    // Forged kids: no reload within the cooldown, one after it.
    expect(await world.cache.withKid('forged-1')).toBeUndefined();
    expect(await world.cache.withKid('forged-2')).toBeUndefined();
    expect(world.loads()).toBe(2);
    world.advance(10_000);
    expect(await world.cache.withKid('forged-3')).toBeUndefined();
    expect(world.loads()).toBe(3);
    expect(await world.cache.withKid('k2')).toBe(next);
  });

  it('keeps the set it has when a reload fails, and tries again after the cooldown', async () => {
    const world = await setup();
    const first = await world.cache.get();
    world.fail(true);
    world.advance(60_000);
    expect(await world.cache.get()).toBe(first);
    expect(await world.cache.get()).toBe(first);
    expect(world.loads()).toBe(2);
    world.fail(false);
    world.advance(10_000);
    await world.cache.get();
    expect(world.loads()).toBe(3);
  });
});
