import { generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { isoUint8Array } from '@simplewebauthn/server/helpers';
import type { AccessClaims } from '../access/tokens';
import { callerWithPassword } from '../account/lockout';
import { recordEvent } from '../account/events';
import { epochSeconds } from '../shared/clock';
import { BadRequestError, UnauthorizedError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import type { PasskeyRegistrationInput } from '../shared/validation';
import { addPasskey, listPasskeys, saveChallenge, spendChallenge } from '../store/passkeys';
import { challengeOf, verifiedRegistration } from './ceremony';
import { CHALLENGE_TTL_SECONDS, MAX_PASSKEYS_PER_USER, type PasskeyDeps } from './types';

/**
 * Registration, step 1: the options the browser's `navigator.credentials.create()` takes. Needs the
 * password (counted like a sign-in attempt, as turning on TOTP does), so a stolen access token or cookie
 * cannot add a passkey of its own. The user's passkeys are excluded (an authenticator that holds one
 * says so instead of making a second); a discoverable credential and user verification are preferred,
 * attestation is `none` (we trust no vendor list, so we ask for nothing to check). The challenge is kept
 * for 5 minutes, for this user, under the credentials version the password was checked against.
 */
export async function registrationOptions(
  deps: PasskeyDeps,
  caller: AccessClaims,
  password: string,
  ip: string | undefined,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const user = await callerWithPassword(deps, caller.userId, password, ip);
  const existing = await listPasskeys(deps.table, user.id);
  if (existing.length >= MAX_PASSKEYS_PER_USER) throw new BadRequestError(MESSAGES.tooManyPasskeys(MAX_PASSKEYS_PER_USER));
  const options = await generateRegistrationOptions({
    rpName: deps.config.webauthnRpName,
    rpID: deps.config.webauthnRpId,
    userName: user.username,
    userDisplayName: user.username,
    // The user handle a discoverable credential keeps and returns at sign-in: the user's id, never a name.
    userID: isoUint8Array.fromUTF8String(user.id),
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await saveChallenge(deps.table, {
    challenge: options.challenge,
    ceremony: 'registration',
    userId: user.id,
    credVersion: user.credVersion,
    expiresAt: epochSeconds(deps.now()) + CHALLENGE_TTL_SECONDS,
  });
  return options;
}

/**
 * Registration, step 2: the browser's new credential, checked against the challenge it signed (spent
 * here, whatever the outcome: one try per challenge), our origins and relying party id. Stored only
 * while the credentials are those the password was checked under; a password change, reset or MFA
 * switch since ended the session, and answers 401. Every other failure is one 400.
 */
export async function registerPasskey(
  deps: PasskeyDeps,
  caller: AccessClaims,
  input: PasskeyRegistrationInput,
): Promise<{ id: string; name: string; createdAt: string }> {
  const failed = new BadRequestError(MESSAGES.passkeyRegistrationFailed);
  const now = deps.now();
  const challenge = challengeOf(input.response.response.clientDataJSON);
  const spent = challenge && (await spendChallenge(deps.table, challenge, { ceremony: 'registration', userId: caller.userId, nowSeconds: epochSeconds(now) }));
  if (!spent || spent.credVersion === undefined) throw failed;
  const credential = await verifiedRegistration(deps.config, input.response, spent.challenge);
  if (!credential) throw failed;
  const passkey = {
    ...credential,
    userId: caller.userId,
    name: input.name ?? 'Passkey',
    createdAt: now.toISOString(),
    lastUsedAt: null,
  };
  const outcome = await addPasskey(deps.table, passkey, spent.credVersion);
  if (outcome === 'changed') throw new UnauthorizedError();
  // Already registered (by this user: the excluded list was ignored; or by another: a cloned key).
  if (outcome === 'taken') throw failed;
  await recordEvent(deps, caller.userId, 'passkey.add');
  return { id: passkey.id, name: passkey.name, createdAt: passkey.createdAt };
}
