import { hkdfSync, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { readKeyPart, keyPartCache, type KeyPartCache } from './key-source';
import { type PublicKeys, type PublicKeySetDocument, publicPart } from './keys';
import { SIGNING_ALGORITHM } from './tokens';

// The private side of the keys: only the functions that issue tokens (sign-in, refresh, MFA verify)
// import this module and may read the signing-key parameter; verify-only bundles never contain it.

export interface Signer {
  kid: string;
  key: CryptoKey;
}

/** What issuing tokens needs: the current signing key. */
export interface IssuingKeys {
  signer: Signer;
}

/** A signer and the verifying keys of the same set (tests, scripts, and sets imported whole). */
export interface SigningKeys extends IssuingKeys, PublicKeys {}

/**
 * The private signing set as stored (SSM parameter `/lambda-jwt-auth/<stage>/signing-keys`, local
 * file): `{"keys":[private JWKs], "signing": "<kid>"}`: the key that signs, and at most one prepared
 * next key (lib/access/rotation.ts). A key that stopped signing leaves it: only its public part stays
 * published, in the public set.
 *
 * The same shape with `dataKey` (and `cursorKey`) is the single document deployments kept before the
 * split (docs/deploy.md, "Keys"), and what newKeySet makes for tests and `keys:create`; splitKeySet turns it
 * into the stored parts.
 */
export interface KeySetDocument {
  keys: JWK[];
  signing?: string;
  dataKey?: string;
  cursorKey?: string;
}

export function parseKeySet(jwkSetJson: string): KeySetDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwkSetJson);
  } catch (cause) {
    throw new Error('signing key set is not valid JSON', { cause });
  }
  const { keys, signing, dataKey, cursorKey } = parsed as { keys?: unknown; signing?: unknown; dataKey?: unknown; cursorKey?: unknown };
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('signing key set has no keys');
  if (signing !== undefined && typeof signing !== 'string') throw new Error('signing key set: "signing" must be a kid');
  for (const [name, value] of [
    ['dataKey', dataKey],
    ['cursorKey', cursorKey],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || Buffer.from(value, 'base64url').length !== 32)) {
      throw new Error(`signing key set: "${name}" must be 32 bytes, base64url`);
    }
  }
  for (const jwk of keys as JWK[]) {
    if (typeof jwk.kid !== 'string' || jwk.kid === '' || jwk.kty !== 'RSA' || typeof jwk.d !== 'string') {
      throw new Error('every signing key must be a private RSA JWK with a kid');
    }
  }
  return {
    keys: keys as JWK[],
    ...(signing === undefined ? {} : { signing }),
    ...(dataKey === undefined ? {} : { dataKey: dataKey as string }),
    ...(cursorKey === undefined ? {} : { cursorKey: cursorKey as string }),
  };
}

/** The kid that signs in a key set document (absent `signing`: the first key, as older sets have it). */
export function signingKid(document: KeySetDocument): string {
  const kid = document.signing ?? document.keys[0]?.kid;
  if (!kid || !document.keys.some((key) => key.kid === kid)) throw new Error(`signing key set: no key "${kid}" to sign with`);
  return kid;
}

function signingJwk(document: KeySetDocument): JWK {
  const kid = signingKid(document);
  return document.keys.find((key) => key.kid === kid) as JWK;
}

/** The signer of a stored private set: only the signing key is imported. */
export async function importSigner(jwkSetJson: string): Promise<IssuingKeys> {
  const jwk = signingJwk(parseKeySet(jwkSetJson));
  return { signer: { kid: jwk.kid as string, key: (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey } };
}

/** A whole set imported: its signer, and every key of it verifying (tests and scripts). */
export async function importSigningKeys(jwkSetJson: string): Promise<SigningKeys> {
  const document = parseKeySet(jwkSetJson);
  const verifiers = new Map<string, CryptoKey>();
  const published: JWK[] = [];
  for (const jwk of document.keys) {
    const pub = publicPart(jwk);
    verifiers.set(jwk.kid as string, (await importJWK(pub, SIGNING_ALGORITHM)) as CryptoKey);
    published.push(pub);
  }
  return { ...(await importSigner(jwkSetJson)), verifiers, jwks: { keys: published } };
}

let cache: KeyPartCache<IssuingKeys> | undefined;

/** The process's signing key, read again within KEY_SET_MAX_AGE (an activated key reaches every container). */
export function issuingKeys(): Promise<IssuingKeys> {
  cache ??= keyPartCache(async () => importSigner(await readKeyPart('signing')));
  return cache.get();
}

/** Makes a new private signing JWK (used by the local start, the tests and the key scripts). */
export async function generateSigningKey(kid: string = `key-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
}

/** 256 random bits, base64url: a new data key or cursor key. */
export function newSecretKey(): string {
  return randomBytes(32).toString('base64url');
}

/** A new key set as one document (all parts; see splitKeySet): one signing key, a data key and a cursor key. */
export async function newKeySet(kid?: string): Promise<string> {
  const key = await generateSigningKey(kid);
  return JSON.stringify({ keys: [key], signing: key.kid, dataKey: newSecretKey(), cursorKey: newSecretKey() } satisfies KeySetDocument);
}

/** The four parts as stored, each in its own parameter (or local file). */
export interface KeyParts {
  signing: string;
  public: string;
  dataKey: string;
  cursorKey: string;
}

/**
 * Splits one document holding every part (a deployment's single parameter from before the split, or
 * newKeySet's) into the four stored parts. The private set keeps the signing key and a prepared next one
 * (keys after the signer, as keys:rotate appended them); keys before it had stopped signing, so only
 * their public parts stay, retained from `now` (the real time is unknown: later is the safe guess).
 * A set without a data key gets one (no secret was ever sealed without it: MFA setup refused); one
 * without a cursor key gets the key its cursors were signed with until now, so no issued cursor breaks.
 */
export function splitKeySet(combinedJson: string, now: Date): KeyParts {
  const document = parseKeySet(combinedJson);
  const signer = signingKid(document);
  const signerIndex = document.keys.findIndex((key) => key.kid === signer);
  const stopped = document.keys.slice(0, signerIndex);
  const privateKeys = document.keys.slice(signerIndex);
  const published: PublicKeySetDocument = {
    keys: document.keys.map(publicPart),
    ...(stopped.length ? { stoppedSigning: Object.fromEntries(stopped.map((key) => [key.kid as string, now.toISOString()])) } : {}),
  };
  return {
    signing: JSON.stringify({ keys: privateKeys, signing: signer } satisfies KeySetDocument),
    public: JSON.stringify(published),
    dataKey: document.dataKey ?? newSecretKey(),
    cursorKey: document.cursorKey ?? legacyCursorKey(signingJwk(document)),
  };
}

/**
 * The HMAC key page cursors were signed with before the split: HKDF-SHA256 of the signing key. Its info
 * string says "admin-cursor" from when the admin list was the only paged list; the event lists' cursors
 * use the same key. The string stays as it is: it is what derives the key of the cursors already issued.
 */
function legacyCursorKey(jwk: JWK): string {
  return Buffer.from(hkdfSync('sha256', Buffer.from(jwk.d as string, 'base64url'), 'lambda-jwt-auth', 'admin-cursor-v1', 32)).toString('base64url');
}
