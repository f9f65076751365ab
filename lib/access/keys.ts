import { importJWK, type CryptoKey, type JWK } from 'jose';
import { type Config, config } from '../shared/config';
import { KeyPartCache, readKeyPart, UNKNOWN_KID_COOLDOWN_MS } from './key-source';
import { MFA_TOKEN_TTL_SECONDS, SIGNING_ALGORITHM } from './tokens';

// The verifying side of the keys: what the authorizer, the JWKS and every token-checking function load.
// No private key is ever parsed here (lib/access/signing-keys.ts does that, for the issuing functions).
export { SIGNING_ALGORITHM, UNKNOWN_KID_COOLDOWN_MS };

/** The public key set as loaded: verifying keys by `kid`, and the JWKS document. */
export interface PublicKeys {
  /** Public keys by `kid`: the signing one, a prepared next one, and retiring ones still inside their tokens' lifetime. */
  verifiers: Map<string, CryptoKey>;
  /** The JWKS document: public parts only. */
  jwks: { keys: JWK[] };
}

/**
 * The public key set as stored (SSM parameter `/lambda-jwt-auth/<stage>/public-keys`, local file):
 * `{"keys":[public JWKs], "stoppedSigning": {"<kid>": "<ISO time>"}}`. Every key verifies and is
 * published; `stoppedSigning` says when a key was replaced as the signer (lib/access/rotation.ts), so
 * it keeps verifying for as long as a token it signed can live (keyRetentionSeconds), then no longer.
 */
export interface PublicKeySetDocument {
  keys: JWK[];
  stoppedSigning?: Record<string, string>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The public part of a JWK, as published. */
export function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return { ...copy, alg: SIGNING_ALGORITHM, use: 'sig' } as JWK;
}

/** Parses and checks a stored public key set; a private member anywhere in it is refused. */
export function parsePublicKeySet(json: string): PublicKeySetDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new Error('public key set is not valid JSON', { cause });
  }
  const { keys, stoppedSigning } = parsed as { keys?: unknown; stoppedSigning?: unknown };
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('public key set has no keys');
  for (const jwk of keys as Record<string, unknown>[]) {
    if (typeof jwk?.kid !== 'string' || jwk.kid === '' || jwk.kty !== 'RSA') throw new Error('every public key must be an RSA JWK with a kid');
    if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw new Error(`public key set: key "${jwk.kid}" has private members`);
  }
  if (stoppedSigning !== undefined) {
    const entries = typeof stoppedSigning === 'object' && stoppedSigning !== null ? Object.values(stoppedSigning) : [0];
    if (!entries.every((at) => typeof at === 'string' && !Number.isNaN(Date.parse(at)))) {
      throw new Error('public key set: "stoppedSigning" must map kids to ISO times');
    }
  }
  return { keys: keys as JWK[], ...(stoppedSigning === undefined ? {} : { stoppedSigning: stoppedSigning as Record<string, string> }) };
}

/**
 * How long a key that stopped signing must keep verifying: the longest lifetime of a token it may have
 * signed (a cookie token lives REFRESH_TOKEN_TTL), plus KEY_SET_MAX_AGE, for the containers that went on
 * signing with it until they read the new set.
 */
export function keyRetentionSeconds(settings: Pick<Config, 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds' | 'keySetMaxAgeSeconds'>): number {
  return Math.max(settings.accessTokenTtlSeconds, settings.refreshTokenTtlSeconds, MFA_TOKEN_TTL_SECONDS) + settings.keySetMaxAgeSeconds;
}

/** True when a key that stopped signing at `stoppedAt` is past its retention at `nowMs`. */
export function pastRetention(stoppedAt: string | undefined, nowMs: number, retentionSeconds: number): boolean {
  return stoppedAt !== undefined && Date.parse(stoppedAt) + retentionSeconds * 1000 <= nowMs;
}

/**
 * Imports a stored public key set once per load (importing per request would cost more than the
 * verification itself). A key past its retention is left out, even before a rotation removes it.
 */
export async function importPublicKeys(json: string, options: { nowMs: number; retentionSeconds: number }): Promise<PublicKeys> {
  const document = parsePublicKeySet(json);
  const verifiers = new Map<string, CryptoKey>();
  const published: JWK[] = [];
  for (const jwk of document.keys) {
    if (pastRetention(document.stoppedSigning?.[jwk.kid as string], options.nowMs, options.retentionSeconds)) continue;
    const pub = publicPart(jwk);
    verifiers.set(jwk.kid as string, (await importJWK(pub, SIGNING_ALGORITHM)) as CryptoKey);
    published.push(pub);
  }
  return { verifiers, jwks: { keys: published } };
}

/**
 * The public key set of a warm container (see KeyPartCache), also reloaded at once for a token whose
 * `kid` it does not know, at most once per `unknownKidCooldownMs` (as jose's remote JWKS does), so
 * tokens signed by a container that already switched keys verify everywhere, while forged `kid`s
 * cannot make every request reload.
 */
export class KeySetCache extends KeyPartCache<PublicKeys> {
  /** A set that knows `kid`, reloading for it if the cooldown allows; undefined when none does. */
  async withKid(kid: string): Promise<PublicKeys | undefined> {
    const keys = await this.get();
    if (keys.verifiers.has(kid)) return keys;
    if (this.coolingDown()) return undefined;
    const reloaded = await this.reload();
    return reloaded.verifiers.has(kid) ? reloaded : undefined;
  }
}

let cache: KeySetCache | undefined;

/** The process's public key set cache, configured from lib/shared/config.ts. */
export function keySetCache(): KeySetCache {
  const settings = config();
  cache ??= new KeySetCache(async () => importPublicKeys(await readKeyPart('public'), { nowMs: Date.now(), retentionSeconds: keyRetentionSeconds(settings) }), {
    maxAgeMs: settings.keySetMaxAgeSeconds * 1000,
    unknownKidCooldownMs: UNKNOWN_KID_COOLDOWN_MS,
  });
  return cache;
}

/** The process's public keys (see KeySetCache for when they are read again). */
export function publicKeys(): Promise<PublicKeys> {
  return keySetCache().get();
}
