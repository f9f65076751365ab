import { PASSWORD_ONLY } from '../access/tokens';
import { ForbiddenError, InvalidCredentialsError, TooManyRequestsError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { hashPassword, needsRehash, verifyStoredPassword } from '../shared/passwords';
import type { SignInInput } from '../shared/validation';
import { clearAttempts } from '../store/attempts';
import { findUserBySignInName, isEmailSignInName, normalizeIdentifier, updateProfile, type User } from '../store/users';
import { admitAttempt } from './lockout';
import { startChallenge } from './mfa';
import { openSession, type SignedIn } from './open-session';
import { recordEvent } from './events';
import type { AccountDeps, SessionDeps } from './types';

/**
 * Checks a username (or the account's email) and password and opens a session. Unknown user and wrong password fail alike, in
 * body and in work done (a dummy bcrypt compare stands in for the missing hash). Repeated attempts on
 * one username, or from one IP, are refused with 429 until the window passes, even with the right
 * password; a successful sign-in clears the username's count (and upgrades a hash below BCRYPT_COST).
 */
export async function signIn(deps: SessionDeps, input: SignInInput): Promise<SignInOutcome> {
  const user = await checkCredentials(deps, input);
  // Only after a correct password, so it tells nothing about accounts one cannot sign in to.
  if (deps.config.requireVerifiedEmail && !user.emailVerified) throw new ForbiddenError(MESSAGES.emailNotVerified);
  // Independent writes run together. The re-hash is not independent of the session: a session write
  // that lost to a role change is retried only while the stored hash is the one this sign-in knows
  // (open-session.ts), so it must know the new one. With MFA on, the password only earns a challenge.
  const [, outcome] = await Promise.all([
    clearAttempts(deps.table, 'username', normalizeIdentifier(user.username)),
    upgradeHash(deps, user, input.password).then(
      (current): Promise<SignInOutcome> => (current.mfaEnabled ? startChallenge(deps, current) : openSession(deps, current, PASSWORD_ONLY)),
    ),
  ]);
  return outcome;
}

/** A signed-in session, or (MFA on) the token of a sign-in waiting for its second factor. */
export type SignInOutcome = SignedIn | { mfaRequired: true; mfaToken: string; methods: ['totp', 'recovery'] };

/** The contract's sign-in body (also MFA verify's), or its MFA challenge. */
export function signInAnswer(outcome: SignInOutcome, expiresIn: number): Record<string, unknown> {
  if ('mfaRequired' in outcome) return outcome;
  return {
    id: outcome.user.id,
    username: outcome.user.username,
    email: outcome.user.email,
    roles: outcome.authorities,
    accessToken: outcome.accessToken,
    refreshToken: outcome.refreshToken,
    tokenType: 'Bearer',
    expiresIn,
  };
}

/**
 * The first half of a sign-in: the attempt is admitted (lockout), then the password checked. The name is
 * a username, or, when it holds an '@', the account's email (lib/store/users.ts isEmailSignInName). Returns
 * the user, as read together with the hash that was checked. Throws InvalidCredentialsError or
 * TooManyRequestsError.
 */
export async function checkCredentials(deps: AccountDeps, input: SignInInput): Promise<User> {
  const { admission, found } = await admitAndFind(deps, input.username);
  if (admission.status === 'rejected') {
    // Recorded on the account when it exists; the same work (nothing stored) when it does not.
    if (admission.reason instanceof TooManyRequestsError) await recordEvent(deps, found?.id, 'signin.locked');
    throw admission.reason;
  }
  const valid = await verifyStoredPassword(input.password, found?.passwordHash, deps.config.bcryptCost);
  if (!found || !valid) {
    await recordEvent(deps, found?.id, 'signin.failure');
    throw new InvalidCredentialsError();
  }
  return found;
}

/**
 * Counts the attempt (lockout) and finds the user a sign-in name names. The per-name counter is the
 * account's username, however the account was named: an email that belongs to an account counts
 * against that account's username, so signing in by username and by email in turn gets no more
 * guesses than either alone. An email nobody uses counts against itself (the same work: one counter).
 * A username is the counter's key as typed, so its count and look-up run together; an email's look-up
 * comes first, as it decides the key. The password is checked only after admission either way.
 */
async function admitAndFind(deps: AccountDeps, identifier: string): Promise<{ admission: PromiseSettledResult<void>; found: User | undefined }> {
  if (!isEmailSignInName(identifier)) {
    const [admission, lookup] = await Promise.allSettled([admitAttempt(deps, identifier, deps.client.ip), findUserBySignInName(deps.table, identifier)]);
    if (lookup.status === 'rejected') throw lookup.reason;
    return { admission, found: lookup.value };
  }
  const found = await findUserBySignInName(deps.table, identifier);
  const admission = await admitAttempt(deps, found ? found.username : identifier, deps.client.ip).then(
    (value): PromiseSettledResult<void> => ({ status: 'fulfilled', value }),
    (reason: unknown): PromiseSettledResult<void> => ({ status: 'rejected', reason }),
  );
  return { admission, found };
}

/**
 * After a raise of BCRYPT_COST, stored hashes move to the new cost at their owner's next sign-in (the
 * only time the password is at hand). Never lowers a cost. Returns the user as now stored: with the new
 * hash, or as it was when the hash is already strong enough or changed in between (a password change).
 */
async function upgradeHash(deps: AccountDeps, user: User, password: string): Promise<User> {
  if (!needsRehash(user.passwordHash, deps.config.bcryptCost)) return user;
  const passwordHash = await hashPassword(password, deps.config.bcryptCost);
  return (await updateProfile(deps.table, user.id, { passwordHash }, user.passwordHash)) ? { ...user, passwordHash } : user;
}
