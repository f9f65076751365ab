import { readFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { config, type SigningKeySource } from './config';

/** RS256: the fastest jose verify on Node (see README "Why RS256") and the one every JWT library reads. */
export const SIGNING_ALGORITHM = 'RS256';

export interface SigningKeys {
  signer: { kid: string; key: CryptoKey };
  /** Public keys by `kid`: the current one and any previous ones still inside their tokens' lifetime. */
  verifiers: Map<string, CryptoKey>;
  /** The JWKS document: public parts only. */
  jwks: { keys: JWK[] };
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return { ...copy, alg: SIGNING_ALGORITHM, use: 'sig' } as JWK;
}

/**
 * Imports a private JWK set (`{"keys":[...]}`); the first key signs, all of them verify. Done once per
 * cold start: importing per request would cost more than the verification itself.
 */
export async function importSigningKeys(jwkSetJson: string): Promise<SigningKeys> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwkSetJson);
  } catch (cause) {
    throw new Error('signing key set is not valid JSON', { cause });
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('signing key set has no keys');
  const verifiers = new Map<string, CryptoKey>();
  const publicKeys: JWK[] = [];
  let signer: SigningKeys['signer'] | undefined;
  for (const jwk of keys as JWK[]) {
    if (typeof jwk.kid !== 'string' || jwk.kid === '' || jwk.kty !== 'RSA' || typeof jwk.d !== 'string') {
      throw new Error('every signing key must be a private RSA JWK with a kid');
    }
    const pub = publicPart(jwk);
    verifiers.set(jwk.kid, (await importJWK(pub, SIGNING_ALGORITHM)) as CryptoKey);
    publicKeys.push(pub);
    signer ??= { kid: jwk.kid, key: (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey };
  }
  return { signer: signer!, verifiers, jwks: { keys: publicKeys } };
}

async function readKeySet(source: SigningKeySource): Promise<string> {
  switch (source.kind) {
    case 'inline':
      return source.json;
    case 'file':
      return readFile(source.path, 'utf8');
    case 'ssm': {
      // Loaded only where a deployed stage needs it; the SDK client is created once per cold start.
      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      const result = await new SSMClient({}).send(
        new GetParameterCommand({ Name: source.parameterName, WithDecryption: true }),
      );
      const value = result.Parameter?.Value;
      if (!value) throw new Error(`SSM parameter ${source.parameterName} is empty`);
      return value;
    }
  }
}

let loaded: Promise<SigningKeys> | undefined;

/** The process's signing keys, read and imported once; a failed load is retried on the next call. */
export function signingKeys(): Promise<SigningKeys> {
  loaded ??= readKeySet(config().signingKeys)
    .then(importSigningKeys)
    .catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
  return loaded;
}

/** Makes a new private signing JWK (used by the local start, the tests and the key scripts). */
export async function generateSigningKey(kid: string = `key-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
}

/**
 * The next key set when rotating: a new signing key first, then the key that was signing until now,
 * so tokens it signed keep verifying (and the JWKS keeps serving it) until they expire. Keys older
 * than that are dropped: their tokens expired one rotation ago.
 */
export async function rotateKeySet(currentJson: string, newKid?: string): Promise<string> {
  const current = (JSON.parse(currentJson) as { keys?: JWK[] }).keys ?? [];
  const next = await generateSigningKey(newKid);
  return JSON.stringify({ keys: current[0] ? [next, current[0]] : [next] });
}
