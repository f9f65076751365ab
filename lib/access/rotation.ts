import { type PublicKeySetDocument, parsePublicKeySet, pastRetention, publicPart } from './keys';
import { generateSigningKey, type KeySetDocument, parseKeySet, signingKid } from './signing-keys';

/**
 * Key rotation over the two stored parts that change with it: the private signing set and the public
 * set (the data key and the cursor key never rotate with the signing keys). Each phase returns the
 * writes to make, in order, so that at every moment between them:
 * - a key is in the public set before any container can sign with it (publish first);
 * - a key leaves the public set, or starts its retention, only once no container is told to sign with
 *   it (the private set is written first); a key that stopped signing stays public for
 *   keyRetentionSeconds (the longest token it may have signed, a cookie token's REFRESH_TOKEN_TTL, plus
 *   KEY_SET_MAX_AGE), then leaves at the next rotation, or earlier from what the functions load.
 * A write that fails leaves a state that is safe to run the same command again from.
 */
export interface StoredKeySets {
  signing: string;
  public: string;
}

export interface KeyWrite {
  part: 'signing' | 'public';
  value: string;
}

export interface RotationClock {
  now: Date;
  /** keyRetentionSeconds of the stage's settings (lib/access/keys.ts). */
  retentionSeconds: number;
}

function privateDocument(document: KeySetDocument): string {
  // Only keys and the signer: a data key or cursor key of a set from before the split does not stay here.
  return JSON.stringify({ keys: document.keys, signing: signingKid(document) } satisfies KeySetDocument);
}

/** The writes that take the stored sets to `next` (the new private set), dropping `removed` kids at once. */
function plan(current: StoredKeySets, next: KeySetDocument, clock: RotationClock, removed: string[] = []): KeyWrite[] {
  const published = parsePublicKeySet(current.public);
  const privateKids = new Set(next.keys.map((key) => key.kid as string));
  const publishedKids = new Set(published.keys.map((key) => key.kid as string));
  const writes: KeyWrite[] = [];

  // 1. Publish what is about to be able to sign.
  const unpublished = next.keys.filter((key) => !publishedKids.has(key.kid as string));
  const withNew: PublicKeySetDocument = { ...published, keys: [...published.keys, ...unpublished.map(publicPart)] };
  if (unpublished.length > 0) writes.push({ part: 'public', value: JSON.stringify(withNew) });

  // 2. The private set.
  const nextPrivate = privateDocument(next);
  if (nextPrivate !== current.signing) writes.push({ part: 'signing', value: nextPrivate });

  // 3. What no longer signs: retained from now (or from when it stopped), dropped once past retention.
  const stoppedSigning: Record<string, string> = {};
  const keys = withNew.keys.filter((key) => {
    const kid = key.kid as string;
    if (privateKids.has(kid)) return true;
    if (removed.includes(kid)) return false;
    const stoppedAt = published.stoppedSigning?.[kid] ?? clock.now.toISOString();
    if (pastRetention(stoppedAt, clock.now.getTime(), clock.retentionSeconds)) return false;
    stoppedSigning[kid] = stoppedAt;
    return true;
  });
  const final = JSON.stringify({ keys, ...(Object.keys(stoppedSigning).length ? { stoppedSigning } : {}) } satisfies PublicKeySetDocument);
  if (final !== (writes.findLast((write) => write.part === 'public')?.value ?? current.public)) writes.push({ part: 'public', value: final });
  return writes;
}

/**
 * Phase 1 (`keys:rotate`): a new key joins, verify-only; the JWKS publishes it before anything signs
 * with it. A key prepared earlier and never activated is replaced.
 */
export async function rotateKeys(current: StoredKeySets, clock: RotationClock, newKid?: string): Promise<KeyWrite[]> {
  const document = parseKeySet(current.signing);
  const signer = signingKid(document);
  const next = await generateSigningKey(newKid);
  return plan(current, { keys: [...document.keys.filter((key) => key.kid === signer), next], signing: signer }, clock);
}

/**
 * Phase 2 (`keys:activate`): the prepared key signs from now on. The previous one leaves the private set
 * (nothing signs with it again) and stays public for its retention.
 */
export function activateKeys(current: StoredKeySets, clock: RotationClock, kid?: string): KeyWrite[] {
  const document = parseKeySet(current.signing);
  const signer = signingKid(document);
  const target = document.keys.find((key) => (kid === undefined ? key.kid !== signer : key.kid === kid));
  if (!target) throw new Error(`no key "${kid ?? ''}" to activate: run keys:rotate first`);
  return plan(current, { keys: [target], signing: target.kid as string }, clock);
}

/**
 * Retires a key at once (it leaked, say): it leaves both sets, so it neither signs nor verifies once
 * containers reload (KEY_SET_MAX_AGE). Retiring the signing key hands signing to the prepared key, or to
 * a new one (published in the same run, a moment before it signs).
 */
export async function retireKeys(current: StoredKeySets, kid: string, clock: RotationClock, newKid?: string): Promise<KeyWrite[]> {
  const document = parseKeySet(current.signing);
  const published = parsePublicKeySet(current.public);
  const inPrivate = document.keys.some((key) => key.kid === kid);
  if (!inPrivate && !published.keys.some((key) => key.kid === kid)) throw new Error(`no key "${kid}" in the set`);
  const signer = signingKid(document);
  const remaining = document.keys.filter((key) => key.kid !== kid);
  if (signer !== kid) return plan(current, { keys: remaining, signing: signer }, clock, [kid]);
  const replacement = remaining[0] ?? (await generateSigningKey(newKid));
  return plan(current, { keys: [replacement], signing: replacement.kid as string }, clock, [kid]);
}

/** The stored sets after applying writes (for scripts without AWS, and tests). */
export function applyWrites(current: StoredKeySets, writes: KeyWrite[]): StoredKeySets {
  const sets = { ...current };
  for (const write of writes) sets[write.part] = write.value;
  return sets;
}
