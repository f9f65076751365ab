import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { isoBase64URL, isoUint8Array } from '@simplewebauthn/server/helpers';
import { recordEvent } from '../account/events';
import { admitPasskeyStep } from '../account/lockout';
import { startChallenge } from '../account/mfa';
import { openSession } from '../account/open-session';
import type { SignInOutcome } from '../account/sign-in';
import { epochSeconds } from '../shared/clock';
import { ForbiddenError, UnauthorizedError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import type { PasskeySignInInput } from '../shared/validation';
import { getPasskey, passkeyOwner, recordPasskeyUse, saveChallenge, spendChallenge } from '../store/passkeys';
import { getUser } from '../store/users';
import { challengeOf, verifiedAssertion } from './ceremony';
import { CHALLENGE_TTL_SECONDS, type PasskeyDeps, type PasskeySignInDeps } from './types';

/**
 * Usernameless sign-in, step 1: options for `navigator.credentials.get()` with no allowCredentials (the
 * authenticator offers the discoverable passkeys it holds for our relying party id), and the id of the
 * challenge to send back. Public, so counted per source IP (each one stores a challenge for 5 minutes).
 */
export async function signInOptions(deps: PasskeyDeps): Promise<PublicKeyCredentialRequestOptionsJSON & { challengeId: string }> {
  await admitPasskeyStep(deps, deps.client.ip);
  const options = await generateAuthenticationOptions({
    rpID: deps.config.webauthnRpId,
    userVerification: 'preferred',
    timeout: CHALLENGE_TTL_SECONDS * 1000,
  });
  await saveChallenge(deps.table, { challenge: options.challenge, ceremony: 'authentication', expiresAt: epochSeconds(deps.now()) + CHALLENGE_TTL_SECONDS });
  // The challenge is its own id: it is no secret (the page holds it), and the answer's client data names it.
  return { ...options, challengeId: options.challenge };
}

/**
 * Usernameless sign-in, step 2: the authenticator's signature over our challenge, by a passkey someone
 * registered. Every failure answers the same 401 (`Passkey sign-in failed.`): an unknown credential, a
 * used, expired or registration challenge, a bad signature, a wrong origin. The challenge is spent first,
 * whatever follows: of two answers to one challenge only one is ever checked. With user verification
 * (PIN, biometrics) the passkey is two factors and the session opens (`amr` hwk, user, mfa); without, a
 * user with MFA on gets the TOTP step (`amr` then hwk, otp, mfa). A signature counter that did not grow
 * on a passkey that counts (a cloned authenticator) refuses the sign-in and is recorded (`passkey.counter`).
 */
export async function signInWithPasskey(deps: PasskeySignInDeps, input: PasskeySignInInput): Promise<SignInOutcome> {
  const failed = new UnauthorizedError(MESSAGES.passkeySignInFailed);
  await admitPasskeyStep(deps, deps.client.ip);
  const now = deps.now();
  const { response } = input;
  if (challengeOf(response.response.clientDataJSON) !== input.challengeId) throw failed;
  const spent = await spendChallenge(deps.table, input.challengeId, { ceremony: 'authentication', nowSeconds: epochSeconds(now) });
  if (!spent) throw failed;
  const userId = await passkeyOwner(deps.table, response.id);
  if (!userId) throw failed;
  // A discoverable credential returns the user handle it was made with: it must name the claim's owner.
  const handle = response.response.userHandle;
  if (handle && !sameUserHandle(handle, userId)) throw failed;
  const [passkey, user] = await Promise.all([getPasskey(deps.table, userId, response.id), getUser(deps.table, userId)]);
  if (!passkey || !user) throw failed;
  // Some browsers send a null user handle for a credential that has none; the library wants it absent.
  const answer = { ...response, response: { ...response.response, userHandle: handle ?? undefined } };
  const verified = await verifiedAssertion(deps.config, answer, spent.challenge, passkey);
  if (!verified) throw failed;
  const { newCounter, userVerified } = verified;
  if (verified.counterRegressed) {
    await recordEvent(deps, userId, 'passkey.counter');
    throw failed;
  }
  // Conditioned on the counter read: a second sign-in with a cloned credential at once loses here.
  if (!(await recordPasskeyUse(deps.table, passkey, newCounter, now.toISOString()))) throw failed;
  if (deps.config.requireVerifiedEmail && !user.emailVerified) throw new ForbiddenError(MESSAGES.emailNotVerified);
  if (!userVerified && user.mfaEnabled) return startChallenge(deps, user, 'hwk');
  // Under the credentials just read, or not at all: a password, role or MFA change committed since fails it.
  return openSession(deps, user, userVerified ? ['hwk', 'user', 'mfa'] : ['hwk'], failed);
}

function sameUserHandle(handle: string, userId: string): boolean {
  try {
    return isoUint8Array.toUTF8String(isoBase64URL.toBuffer(handle)) === userId;
  } catch {
    return false;
  }
}
