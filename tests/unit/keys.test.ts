import { parseSecretKey } from '../../lib/access/key-source';
import { importPublicKeys, KeySetCache, keyRetentionSeconds, parsePublicKeySet, type PublicKeys } from '../../lib/access/keys';
import { activateKeys, applyWrites, type KeyWrite, retireKeys, rotateKeys, type StoredKeySets } from '../../lib/access/rotation';
import { generateSigningKey, importSigner, importSigningKeys, newKeySet, parseKeySet, splitKeySet } from '../../lib/access/signing-keys';
import { issueAccessToken, verifyAccessToken } from '../../lib/access/tokens';
import { signCursor, readCursor } from '../../lib/store/cursor';
import { importKeyParts } from '../../scripts/local-keys';

const settings = { issuer: 'i', audience: 'a' };
const HOUR = 3600;
// The defaults: a cookie token lives REFRESH_TOKEN_TTL (24 h), an access token 15 minutes.
const retentionSeconds = keyRetentionSeconds({ accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 86_400, keySetMaxAgeSeconds: 60 });
const T0 = new Date('2026-12-01T00:00:00Z');
const at = (seconds: number) => ({ now: new Date(T0.getTime() + seconds * 1000), retentionSeconds });

const publicAt = (sets: StoredKeySets, seconds = 0) => importPublicKeys(sets.public, { nowMs: T0.getTime() + seconds * 1000, retentionSeconds });
const kids = (keys: PublicKeys) => keys.jwks.keys.map((key) => key.kid);
const signWith = async (sets: StoredKeySets, ttlSeconds = 60) =>
  issueAccessToken(await importSigner(sets.signing), { userId: 'u', roles: ['user'], sessionId: 's' }, { ...settings, now: new Date(), ttlSeconds });
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string };

async function stored(kid = 'k1'): Promise<StoredKeySets> {
  const { signing, public: published } = splitKeySet(await newKeySet(kid), T0);
  return { signing, public: published };
}

describe('the key parts', () => {
  it('are four documents apart: private signing keys, public keys without a private member, a data key, a cursor key', async () => {
    const parts = splitKeySet(await newKeySet('k1'), T0);
    expect(Object.keys(parts).sort()).toEqual(['cursorKey', 'dataKey', 'public', 'signing']);
    expect(JSON.parse(parts.signing)).toEqual({ keys: [expect.objectContaining({ kid: 'k1', d: expect.any(String) })], signing: 'k1' });
    for (const key of JSON.parse(parts.public).keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
    expect(parts.signing).not.toContain(parts.dataKey);
    expect(parts.public).not.toContain(parts.dataKey);
    expect(parts.dataKey).not.toBe(parts.cursorKey);
  });

  it('refuses a public set that holds a private key', async () => {
    const privateKey = await generateSigningKey('k1');
    await expect(importPublicKeys(JSON.stringify({ keys: [privateKey] }), { nowMs: 0, retentionSeconds })).rejects.toThrow('key "k1" has private members');
  });

  it('split a single parameter from before the split: the same keys, data key and cursors; the previous signer public only', async () => {
    const previous = await generateSigningKey('old');
    const signer = await generateSigningKey('current');
    const prepared = await generateSigningKey('next');
    const dataKey = Buffer.alloc(32, 7).toString('base64url');
    const single = JSON.stringify({ keys: [previous, signer, prepared], signing: 'current', dataKey });
    const before = await importSigningKeys(single);
    const parts = splitKeySet(single, T0);

    expect(JSON.parse(parts.signing).keys.map((key: { kid: string }) => key.kid)).toEqual(['current', 'next']);
    expect(JSON.parse(parts.public)).toMatchObject({ stoppedSigning: { old: T0.toISOString() } });
    expect(kids(await publicAt(parts))).toEqual(['old', 'current', 'next']);
    expect(parts.dataKey).toBe(dataKey);
    // A cursor signed before the split (its key derived from the signing key) still reads after it.
    const { hkdfSync } = await import('node:crypto');
    const legacy = new Uint8Array(hkdfSync('sha256', Buffer.from(signer.d!, 'base64url'), 'lambda-jwt-auth', 'admin-cursor-v1', 32));
    const cursor = signCursor({ after: 'x' }, legacy);
    expect(readCursor(cursor, (await importKeyParts(JSON.stringify({ ...JSON.parse(single), cursorKey: parts.cursorKey }))).cursorKey)).toEqual({ after: 'x' });
    // Tokens of the old signer still verify with the split public set.
    const oldToken = await issueAccessToken(
      { signer: before.signer },
      { userId: 'u', roles: ['user'], sessionId: 's' },
      { ...settings, now: new Date(), ttlSeconds: 60 },
    );
    await expect(verifyAccessToken(await publicAt(parts), oldToken, { ...settings, now: new Date() })).resolves.toMatchObject({ userId: 'u' });
  });
});

describe('a new signing key', () => {
  it('is a signing JWK whose default kid is the date and eight hex digits', async () => {
    const key = await generateSigningKey();
    expect(key.use).toBe('sig');
    expect(key.kid).toMatch(/^key-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$/);
  });
});

describe('a stored key part that is not well formed', () => {
  const secret = Buffer.alloc(32, 7).toString('base64url');

  it('a secret key part is 32 bytes of canonical base64url; the newline a parameter editor adds is dropped', () => {
    expect(parseSecretKey(`${secret}\n`, 'dataKey')).toEqual(new Uint8Array(Buffer.alloc(32, 7)));
    // 31 bytes decode canonically, yet are too short; padding decodes to 32 bytes, yet is not the canonical form.
    expect(() => parseSecretKey(Buffer.alloc(31, 7).toString('base64url'), 'dataKey')).toThrow('the dataKey key part must be 32 bytes, base64url');
    expect(() => parseSecretKey(`${secret}=`, 'cursorKey')).toThrow('the cursorKey key part must be 32 bytes, base64url');
  });

  it('a public set: not JSON, no keys, a key that is not RSA, a stoppedSigning that is not a map of times', async () => {
    const [publicKey] = JSON.parse((await stored()).public).keys;
    expect(() => parsePublicKeySet('{')).toThrow(expect.objectContaining({ message: 'public key set is not valid JSON', cause: expect.any(SyntaxError) }));
    expect(() => parsePublicKeySet('{"keys":[]}')).toThrow('public key set has no keys');
    expect(() => parsePublicKeySet(JSON.stringify({ keys: [{ ...publicKey, kty: 'EC' }] }))).toThrow('every public key must be an RSA JWK with a kid');
    for (const stoppedSigning of ['2026-12-01T00:00:00Z', { k1: 'yesterday' }, { k1: 0 }]) {
      expect(() => parsePublicKeySet(JSON.stringify({ keys: [publicKey], stoppedSigning }))).toThrow(
        'public key set: "stoppedSigning" must map kids to ISO times',
      );
    }
    // Absent stoppedSigning stays absent (no undefined member written back by a rotation).
    expect(parsePublicKeySet(JSON.stringify({ keys: [publicKey] }))).toStrictEqual({ keys: [publicKey] });
  });

  it('a private set: not JSON, no keys, a signing that is not a kid, a secret of the wrong size, a key without its private part', async () => {
    const { signing } = await stored();
    const [privateKey] = JSON.parse(signing).keys;
    expect(() => parseKeySet('{')).toThrow(expect.objectContaining({ message: 'signing key set is not valid JSON', cause: expect.any(SyntaxError) }));
    expect(() => parseKeySet('{"keys":[]}')).toThrow('signing key set has no keys');
    expect(() => parseKeySet(JSON.stringify({ keys: [privateKey], signing: 1 }))).toThrow('signing key set: "signing" must be a kid');
    expect(() => parseKeySet(JSON.stringify({ keys: [privateKey], cursorKey: 'c2hvcnQ' }))).toThrow('signing key set: "cursorKey" must be 32 bytes, base64url');
    const { d: _d, ...publicOnly } = privateKey;
    expect(() => parseKeySet(JSON.stringify({ keys: [publicOnly] }))).toThrow('every signing key must be a private RSA JWK with a kid');
    await expect(importSigner(JSON.stringify({ keys: [privateKey], signing: 'gone' }))).rejects.toThrow('signing key set: no key "gone" to sign with');
  });
});

describe('activating a key that is not there', () => {
  it('names the kid asked for, or none, and says to rotate first', async () => {
    const sets = await stored();
    expect(() => activateKeys(sets, at(0))).toThrow('no key "" to activate: run keys:rotate first');
    expect(() => activateKeys(sets, at(0), 'nope')).toThrow('no key "nope" to activate: run keys:rotate first');
  });

  it('keeps a key that stopped signing public whatever its kid (no kid is dropped unless retired)', async () => {
    // A kid that could collide with a filler value: only retireKeys drops a key at once.
    const sets = await stored('Stryker was here');
    const prepared = applyWrites(sets, await rotateKeys(sets, at(0), 'k2'));
    expect(kids(await publicAt(applyWrites(prepared, activateKeys(prepared, at(300))), 300))).toEqual(['Stryker was here', 'k2']);
  });
});

describe('key retention', () => {
  it('is the longest token lifetime plus the key set maximum age', () => {
    expect(retentionSeconds).toBe(86_400 + 60);
  });
});

describe('two-phase key rotation over the split parts', () => {
  it('publishes the next key before it is in the private set, then signs with it while the previous key verifies', async () => {
    const before = await stored();
    const oldToken = await signWith(before);

    const prepare = await rotateKeys(before, at(0), 'k2');
    expect(prepare.map((write) => write.part)).toEqual(['public', 'signing']);
    const prepared = applyWrites(before, prepare);
    expect(kids(await publicAt(prepared))).toEqual(['k1', 'k2']);
    expect(header(await signWith(prepared)).kid).toBe('k1');

    const activate = activateKeys(prepared, at(300));
    // The private set first: k1 starts its retention only once nothing is told to sign with it.
    expect(activate.map((write) => write.part)).toEqual(['signing', 'public']);
    const active = applyWrites(prepared, activate);
    expect(header(await signWith(active)).kid).toBe('k2');
    // k1's private part is gone: nothing can sign with it any more.
    expect(JSON.parse(active.signing).keys.map((key: { kid: string }) => key.kid)).toEqual(['k2']);
    await expect(verifyAccessToken(await publicAt(active, 300), oldToken, { ...settings, now: new Date() })).resolves.toMatchObject({ userId: 'u' });
  });

  it('keeps a retiring key public for as long as a cookie token it signed can live, across later rotations', async () => {
    const initial = await stored('k1');
    const sets1 = applyWrites(initial, await rotateKeys(initial, at(0), 'k2'));
    const sets2 = applyWrites(sets1, activateKeys(sets1, at(300)));

    // An access token's lifetime later (the old advice for the next rotation), k1 is still needed: a
    // cookie token it signed just before the activation lives REFRESH_TOKEN_TTL.
    const early = applyWrites(sets2, await rotateKeys(sets2, at(300 + 900 + 60 + 1), 'k3'));
    expect(kids(await publicAt(early, 300 + 900 + 61))).toEqual(['k1', 'k2', 'k3']);
    expect(kids(await publicAt(early, 300 + 24 * HOUR))).toEqual(['k1', 'k2', 'k3']);
    // Past REFRESH_TOKEN_TTL + KEY_SET_MAX_AGE after it stopped signing: no longer loaded, and the next
    // rotation removes it.
    expect(kids(await publicAt(early, 300 + retentionSeconds))).toEqual(['k2', 'k3']);
    const late = applyWrites(early, activateKeys(early, at(300 + retentionSeconds)));
    expect(JSON.parse(late.public).keys.map((key: { kid: string }) => key.kid)).toEqual(['k2', 'k3']);
    expect(JSON.parse(late.public).stoppedSigning).toEqual({ k2: at(300 + retentionSeconds).now.toISOString() });
  });

  it('retires a key at once from both sets; a retired signer hands over to the prepared key, or to a new one published first', async () => {
    const initial = await stored('k1');
    const prepared = applyWrites(initial, await rotateKeys(initial, at(0), 'k2'));
    const active = applyWrites(prepared, activateKeys(prepared, at(300)));

    const withoutOld = applyWrites(active, await retireKeys(active, 'k1', at(400)));
    expect(kids(await publicAt(withoutOld, 400))).toEqual(['k2']);

    const handedOver = applyWrites(prepared, await retireKeys(prepared, 'k1', at(400)));
    expect(JSON.parse(handedOver.signing).signing).toBe('k2');
    expect(kids(await publicAt(handedOver, 400))).toEqual(['k2']);

    const writes: KeyWrite[] = await retireKeys(active, 'k2', at(400), 'k3');
    expect(writes.map((write) => write.part)).toEqual(['public', 'signing', 'public']);
    const fresh = applyWrites(active, writes);
    expect(JSON.parse(fresh.signing).signing).toBe('k3');
    expect(kids(await publicAt(fresh, 400))).toEqual(['k1', 'k3']);
    await expect(retireKeys(active, 'nope', at(400))).rejects.toThrow('no key "nope"');
  });
});

describe("a warm container's public key set", () => {
  async function setup() {
    const sets = [await publicAt(await stored())];
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
      setNext: (keys: PublicKeys) => sets.push(keys),
      advance: (ms: number) => (now += ms),
      loads: () => loads,
      fail: (value: boolean) => (failing = value),
    };
  }
  const nextSet = async () => {
    const initial = await stored();
    return publicAt(applyWrites(initial, await rotateKeys(initial, at(0), 'k2')));
  };

  it('is read again after its maximum age, not before', async () => {
    const world = await setup();
    const first = await world.cache.get();
    const next = await nextSet();
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
    const next = await nextSet();
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
