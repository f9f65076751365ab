import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software WebAuthn authenticator for the tests that do not drive a browser (unit, integration, e2e,
 * bench): it makes ES256 credentials and answers challenges exactly as a platform authenticator does
 * (`none` attestation, authenticator data, client data, a DER signature over both), in the JSON a browser
 * sends (`PublicKeyCredential.toJSON()`). Only the encoding helpers of @simplewebauthn/server are used;
 * the service's verification is what these answers test. The browser tier uses Chromium's own virtual
 * authenticator instead (tests/browser/passkeys.test.ts). In scripts/, not tests/, so the bench may use it.
 */

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** Authenticator data flags (WebAuthn §6.1). */
const FLAG = { userPresent: 0x01, userVerified: 0x04, backupEligible: 0x08, backedUp: 0x10, attestedData: 0x40 } as const;

export interface SoftCredential {
  /** base64url credential id. */
  id: string;
  privateKey: KeyObject;
  /** The user handle the credential keeps (a discoverable credential returns it at sign-in). */
  userHandle: string | undefined;
  rpId: string;
  /** The signature counter; `counts: false` keeps it at 0, as synced passkeys do. */
  counter: number;
  counts: boolean;
}

export interface Ceremony {
  origin: string;
  /** User verification (PIN, biometrics) performed: the UV flag. */
  userVerified?: boolean;
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): string {
  return b64url(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })));
}

/** The COSE_Key (RFC 9053) of a P-256 public key: kty EC2, alg ES256, crv P-256, x, y. */
function coseKey(publicKey: KeyObject): Uint8Array {
  const { x, y } = publicKey.export({ format: 'jwk' });
  if (!x || !y) throw new Error('not a P-256 public key');
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(x, 'base64url')],
      [-3, Buffer.from(y, 'base64url')],
    ]),
  );
}

/**
 * Answers registration options (as `navigator.credentials.create()` would): a new credential and the
 * RegistrationResponseJSON to send to /register/verify.
 */
export function createCredential(
  options: { challenge: string; rp: { id?: string }; user: { id: string } },
  ceremony: Ceremony & { counts?: boolean; rpId?: string },
): { credential: SoftCredential; response: Record<string, unknown> } {
  const rpId = ceremony.rpId ?? options.rp.id ?? 'localhost';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = randomBytes(16);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(id.length);
  const attested = Buffer.concat([Buffer.alloc(16), idLength, id, coseKey(publicKey)]);
  const flags = FLAG.userPresent | (ceremony.userVerified === false ? 0 : FLAG.userVerified) | FLAG.attestedData;
  const counts = ceremony.counts ?? false;
  const counter = counts ? 1 : 0;
  const attestationObject = isoCBOR.encode(
    new Map<string, unknown>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', authenticatorData(rpId, flags, counter, attested)],
    ]) as never,
  );
  const credential: SoftCredential = { id: b64url(id), privateKey, userHandle: options.user.id, rpId, counter, counts };
  return {
    credential,
    response: {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData('webauthn.create', options.challenge, ceremony.origin),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    },
  };
}

/**
 * Answers request options (as `navigator.credentials.get()` would) with a credential: the
 * AuthenticationResponseJSON to send to /signin/verify. The counter grows first when the credential counts.
 */
export function assert(credential: SoftCredential, challenge: string, ceremony: Ceremony & { counter?: number }): Record<string, unknown> {
  if (ceremony.counter !== undefined) credential.counter = ceremony.counter;
  else if (credential.counts) credential.counter += 1;
  const flags = FLAG.userPresent | (ceremony.userVerified === false ? 0 : FLAG.userVerified);
  const data = authenticatorData(credential.rpId, flags, credential.counter);
  const clientDataJSON = clientData('webauthn.get', challenge, ceremony.origin);
  const signature = sign('sha256', Buffer.concat([data, sha256(Buffer.from(clientDataJSON, 'base64url'))]), credential.privateKey);
  return {
    id: credential.id,
    rawId: credential.id,
    type: 'public-key',
    response: {
      clientDataJSON,
      authenticatorData: b64url(data),
      signature: b64url(signature),
      ...(credential.userHandle === undefined ? {} : { userHandle: credential.userHandle }),
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
  };
}

/** One signature as a sign-in makes it, with its public key: what a bare ES256 verify takes (the bench's limit). */
export function signedData(credential: SoftCredential): { data: Buffer; signature: Buffer; publicKey: KeyObject } {
  const data = Buffer.concat([authenticatorData(credential.rpId, FLAG.userPresent | FLAG.userVerified, credential.counter), sha256('client data')]);
  return { data, signature: sign('sha256', data, credential.privateKey), publicKey: createPublicKey(credential.privateKey) };
}
