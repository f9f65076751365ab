import {
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { decodeClientDataJSON, isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Passkey } from '../store/passkeys';
import type { RelyingPartyConfig } from './types';

/**
 * The two checks of a browser's answer, by @simplewebauthn/server, against our relying party: no store,
 * no clock, so fixed vectors test them (tests/unit/passkeys.test.ts). Each answers what the service
 * needs, or undefined for an answer that fails any check (the library's reasons are not told to clients).
 */

/**
 * The challenge a browser's answer says it signed, read from its client data, to find the challenge we
 * stored (the library checks the same value again against what we pass it). Undefined when the client
 * data is not what a browser sends.
 */
export function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const challenge = decodeClientDataJSON(clientDataJSON).challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** A new credential, as registration stores it. */
export interface NewCredential {
  id: string;
  publicKey: string;
  counter: number;
  transports: string[];
  backedUp: boolean;
}

/**
 * A registration answer made for `challenge` on one of our origins for our relying party id: the
 * credential it creates. User verification is not required (it decides the sign-in's `amr`, not this).
 */
export async function verifiedRegistration(rp: RelyingPartyConfig, response: RegistrationResponseJSON, challenge: string): Promise<NewCredential | undefined> {
  const verified = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.webauthnOrigins,
    expectedRPID: rp.webauthnRpId,
    requireUserVerification: false,
  }).catch(() => undefined);
  if (!verified?.verified) return undefined;
  const { credential, credentialBackedUp } = verified.registrationInfo;
  return {
    id: credential.id,
    publicKey: isoBase64URL.fromBuffer(credential.publicKey),
    counter: credential.counter,
    transports: credential.transports ?? response.response.transports ?? [],
    backedUp: credentialBackedUp,
  };
}

/** What a verified sign-in answer tells: the authenticator's new counter, and whether it verified the user. */
export interface VerifiedAssertion {
  newCounter: number;
  userVerified: boolean;
  /** The counter did not grow on a credential that counts (a cloned authenticator?): refuse, and record it. */
  counterRegressed: boolean;
}

/**
 * A sign-in answer signed by `passkey`'s key over `challenge`, on one of our origins for our relying
 * party id. The counter rule is ours, not the library's (it gets counter 0, so never refuses on it), so
 * that a regression is told apart from a bad signature.
 */
export async function verifiedAssertion(
  rp: RelyingPartyConfig,
  response: AuthenticationResponseJSON,
  challenge: string,
  passkey: Pick<Passkey, 'id' | 'publicKey' | 'counter' | 'transports'>,
): Promise<VerifiedAssertion | undefined> {
  const verified = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.webauthnOrigins,
    expectedRPID: rp.webauthnRpId,
    credential: { id: passkey.id, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: 0, transports: passkey.transports },
    requireUserVerification: false,
  }).catch(() => undefined);
  if (!verified?.verified) return undefined;
  const { newCounter, userVerified } = verified.authenticationInfo;
  return { newCounter, userVerified, counterRegressed: (newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter };
}
