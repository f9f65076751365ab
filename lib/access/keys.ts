import { hkdfSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { config, type SigningKeySource } from '../shared/config';

/** RS256: the fastest jose verify on Node (see README "Why RS256") and the one every JWT library reads. */
export const SIGNING_ALGORITHM = 'RS256';

export interface SigningKeys {
  signer: { kid: string; key: CryptoKey };
  /** Public keys by `kid`: the current one and any previous ones still inside their tokens' lifetime. */
  verifiers: Map<string, CryptoKey>;
  /** The JWKS document: public parts only. */
  jwks: { keys: JWK[] };
  /** HMAC key for page cursors (lib/store/cursor.ts), derived from the signing key: no second secret to keep. */
  cursorSecret: Uint8Array;
  /** The key that encrypts stored TOTP secrets; undefined for a set written before it existed. */
  dataKey: Uint8Array | undefined;
}

/** HKDF-SHA256 from the signing key's private exponent, for one purpose only. */
function deriveSecret(privateExponent: string, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', Buffer.from(privateExponent, 'base64url'), 'lambda-jwt-auth', purpose, 32));
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return { ...copy, alg: SIGNING_ALGORITHM, use: 'sig' } as JWK;
}

/**
 * A private JWK set as stored (SSM parameter, key file): `{"keys":[...], "signing": "<kid>", "dataKey":
 * "<base64url>"}`. Every key verifies and is published in the JWKS; `signing` names the one that signs
 * (absent: the first key, as sets written before two-phase rotation have it). `dataKey` (256 random bits)
 * encrypts the TOTP secrets stored in the table; unlike the signing keys it never rotates, or every
 * enrolled authenticator would be lost. Sets written before it existed get one at their next rotation.
 */
export interface KeySetDocument {
  keys: JWK[];
  signing?: string;
  dataKey?: string;
}

/** A new key set document: one signing key and a data key. */
export async function newKeySet(kid?: string): Promise<string> {
  return writeKeySet({ keys: [await generateSigningKey(kid)] });
}

/** The document as stored; a data key is added when the set has none yet. */
function writeKeySet(document: KeySetDocument): string {
  return JSON.stringify({ ...document, dataKey: document.dataKey ?? randomBytes(32).toString('base64url') });
}

function parseKeySet(jwkSetJson: string): KeySetDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwkSetJson);
  } catch (cause) {
    throw new Error('signing key set is not valid JSON', { cause });
  }
  const { keys, signing, dataKey } = parsed as { keys?: unknown; signing?: unknown; dataKey?: unknown };
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('signing key set has no keys');
  if (signing !== undefined && typeof signing !== 'string') throw new Error('signing key set: "signing" must be a kid');
  if (dataKey !== undefined && (typeof dataKey !== 'string' || Buffer.from(dataKey, 'base64url').length !== 32)) {
    throw new Error('signing key set: "dataKey" must be 32 bytes, base64url');
  }
  return { keys: keys as JWK[], ...(signing === undefined ? {} : { signing }), ...(dataKey === undefined ? {} : { dataKey }) };
}

/** The kid that signs in a key set document. */
export function signingKid(document: KeySetDocument): string {
  const kid = document.signing ?? document.keys[0]?.kid;
  if (!kid || !document.keys.some((key) => key.kid === kid)) throw new Error(`signing key set: no key "${kid}" to sign with`);
  return kid;
}

/**
 * Imports a private JWK set: `signing` (or the first key) signs, all of them verify. Done once per key
 * set load: importing per request would cost more than the verification itself.
 */
export async function importSigningKeys(jwkSetJson: string): Promise<SigningKeys> {
  const document = parseKeySet(jwkSetJson);
  const signerKid = signingKid(document);
  const verifiers = new Map<string, CryptoKey>();
  const publicKeys: JWK[] = [];
  let signer: { privateExponent: string; key: CryptoKey } | undefined;
  for (const jwk of document.keys) {
    if (typeof jwk.kid !== 'string' || jwk.kid === '' || jwk.kty !== 'RSA' || typeof jwk.d !== 'string') {
      throw new Error('every signing key must be a private RSA JWK with a kid');
    }
    const pub = publicPart(jwk);
    verifiers.set(jwk.kid, (await importJWK(pub, SIGNING_ALGORITHM)) as CryptoKey);
    publicKeys.push(pub);
    if (jwk.kid === signerKid) signer = { privateExponent: jwk.d, key: (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey };
  }
  if (!signer) throw new Error(`signing key set: no key "${signerKid}" to sign with`);
  return {
    signer: { kid: signerKid, key: signer.key },
    verifiers,
    jwks: { keys: publicKeys },
    cursorSecret: deriveSecret(signer.privateExponent, 'admin-cursor-v1'),
    dataKey: document.dataKey === undefined ? undefined : new Uint8Array(Buffer.from(document.dataKey, 'base64url')),
  };
}

async function readKeySet(source: SigningKeySource): Promise<string> {
  switch (source.kind) {
    case 'inline':
      return source.json;
    case 'file':
      return readFile(source.path, 'utf8');
    case 'ssm': {
      // Loaded only where a deployed stage needs it; the SDK client is created once per container. The
      // load is shared by the requests waiting for it, so each bounds its own wait (Deadline.race), and
      // these timeouts bound the load itself.
      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      ssmClient ??= new SSMClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true } });
      const result = await ssmClient.send(new GetParameterCommand({ Name: source.parameterName, WithDecryption: true }));
      const value = result.Parameter?.Value;
      if (!value) throw new Error(`SSM parameter ${source.parameterName} is empty`);
      return value;
    }
  }
}

let ssmClient: import('@aws-sdk/client-ssm').SSMClient | undefined;

/**
 * The key set of a warm container, kept fresh without a request paying for it often:
 * - reloaded when older than `maxAgeMs` (KEY_SET_MAX_AGE), so a retired key stops verifying and a
 *   newly published one is served by the JWKS within that bound;
 * - reloaded at once for a token whose `kid` it does not know, at most once per `unknownKidCooldownMs`
 *   (as jose's remote JWKS does), so tokens signed by a container that already switched keys verify
 *   everywhere, while forged `kid`s cannot make every request reload.
 * A failed reload keeps the set it has (and tries again after the cooldown): a slow SSM never turns
 * into refused tokens. Only the very first load can fail a request.
 */
export class KeySetCache {
  #current: { keys: SigningKeys; loadedAt: number } | undefined;
  #loading: Promise<SigningKeys> | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly load: () => Promise<SigningKeys>,
    private readonly options: { maxAgeMs: number; unknownKidCooldownMs: number; now?: () => number },
  ) {}

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The current set, reloaded first when it is older than the maximum age. */
  async get(): Promise<SigningKeys> {
    const current = this.#current;
    if (current && this.#now() - current.loadedAt < this.options.maxAgeMs) return current.keys;
    if (current && this.#now() - this.#lastAttemptAt < this.options.unknownKidCooldownMs) return current.keys;
    return this.#reload();
  }

  /** A set that knows `kid`, reloading for it if the cooldown allows; undefined when none does. */
  async withKid(kid: string): Promise<SigningKeys | undefined> {
    const keys = await this.get();
    if (keys.verifiers.has(kid)) return keys;
    if (this.#now() - this.#lastAttemptAt < this.options.unknownKidCooldownMs) return undefined;
    const reloaded = await this.#reload();
    return reloaded.verifiers.has(kid) ? reloaded : undefined;
  }

  #reload(): Promise<SigningKeys> {
    this.#loading ??= (async () => {
      this.#lastAttemptAt = this.#now();
      try {
        const keys = await this.load();
        this.#current = { keys, loadedAt: this.#now() };
        return keys;
      } catch (error) {
        if (this.#current) return this.#current.keys;
        throw error;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }
}

let cache: KeySetCache | undefined;

/** The process's key set cache, configured from lib/config.ts. */
export function keySetCache(): KeySetCache {
  const { signingKeys: source, keySetMaxAgeSeconds } = config();
  cache ??= new KeySetCache(async () => importSigningKeys(await readKeySet(source)), {
    maxAgeMs: keySetMaxAgeSeconds * 1000,
    unknownKidCooldownMs: UNKNOWN_KID_COOLDOWN_MS,
  });
  return cache;
}

/** At most one reload per this long for tokens with an unknown `kid` (and after a failed reload). */
export const UNKNOWN_KID_COOLDOWN_MS = 10_000;

/** The process's signing keys (see KeySetCache for when they are read again). */
export function signingKeys(): Promise<SigningKeys> {
  return keySetCache().get();
}

/** Makes a new private signing JWK (used by the local start, the tests and the key scripts). */
export async function generateSigningKey(kid: string = `key-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
}

/**
 * Rotation, phase 1 (`keys:rotate`): a new key joins the set verify-only. Containers pick it up within
 * KEY_SET_MAX_AGE and the JWKS publishes it, before any token is signed with it. Keys other than the
 * signing one are dropped: their tokens expired one rotation ago.
 */
export async function prepareNextKey(currentJson: string, newKid?: string): Promise<string> {
  const current = parseKeySet(currentJson);
  const signer = signingKid(current);
  const next = await generateSigningKey(newKid);
  return writeKeySet({ ...current, keys: [...current.keys.filter((key) => key.kid === signer), next], signing: signer });
}

/**
 * Rotation, phase 2 (`keys:activate`): the prepared key signs from now on; the previous one keeps
 * verifying (its tokens live up to ACCESS_TOKEN_TTL more) until the next rotation drops it.
 */
export function activateKey(currentJson: string, kid?: string): string {
  const current = parseKeySet(currentJson);
  const signer = signingKid(current);
  const target = kid ?? current.keys.find((key) => key.kid !== signer)?.kid;
  if (!target || !current.keys.some((key) => key.kid === target)) throw new Error(`no key "${kid ?? ''}" to activate: run keys:rotate first`);
  return writeKeySet({ ...current, signing: target });
}

/**
 * Retires a key at once (it leaked, say): it leaves the set, so it neither signs nor verifies once
 * containers reload (KEY_SET_MAX_AGE). Retiring the signing key makes another key of the set sign, or a
 * new one if there is none.
 */
export async function retireKey(currentJson: string, kid: string, newKid?: string): Promise<string> {
  const current = parseKeySet(currentJson);
  if (!current.keys.some((key) => key.kid === kid)) throw new Error(`no key "${kid}" in the set`);
  const remaining = current.keys.filter((key) => key.kid !== kid);
  const signer = signingKid(current);
  if (signer !== kid) return writeKeySet({ ...current, keys: remaining, signing: signer });
  const replacement = remaining[0] ?? (await generateSigningKey(newKid));
  return writeKeySet({ ...current, keys: remaining.length > 0 ? remaining : [replacement], signing: replacement.kid });
}
