import { randomUUID } from 'node:crypto';
import { InvalidCredentialsError } from '../shared/errors';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../shared/passwords';
import { toAuthorities } from '../shared/roles';
import type { SignInInput } from '../shared/validation';
import { clearAttempts } from '../store/attempts';
import { createSession } from '../store/sessions';
import { findUserByUsername, getUser, normalizeIdentifier, updateProfile, type User } from '../store/users';
import { admitAttempt } from './lockout';
import { accessTokenFor, newRefreshRecord, type TokenPair } from './session-tokens';
import type { AccountDeps, ClientInfo, SessionDeps } from './types';

/**
 * Checks a username and password and opens a session. Unknown user and wrong password fail alike, in
 * body and in work done (a dummy bcrypt compare stands in for the missing hash). Repeated attempts on
 * one username, or from one IP, are refused with 429 until the window passes, even with the right
 * password; a successful sign-in clears the username's count (and upgrades a hash below BCRYPT_COST).
 */
export async function signIn(
  deps: SessionDeps,
  input: SignInInput,
  client: ClientInfo,
): Promise<{ user: User; authorities: string[] } & TokenPair> {
  const user = await checkCredentials(deps, input, client);
  // Independent writes run together.
  const [, , opened] = await Promise.all([
    clearAttempts(deps.table, 'username', normalizeIdentifier(input.username)),
    upgradeHash(deps, user, input.password),
    openSession(deps, user, client),
  ]);
  return { ...opened, authorities: toAuthorities(opened.user.roles) };
}

/**
 * The first half of a sign-in: the attempt is admitted (lockout), then the password checked. Returns
 * the user, as read together with the hash that was checked. Throws InvalidCredentialsError or
 * TooManyRequestsError.
 */
export async function checkCredentials(deps: AccountDeps, input: SignInInput, client: ClientInfo): Promise<User> {
  // Independent round trips run together; the password is still checked only after admission.
  const [, found] = await Promise.all([admitAttempt(deps, input.username, client.ip), findUserByUsername(deps.table, input.username)]);
  const valid = found
    ? await verifyPassword(input.password, found.passwordHash)
    : await verifyAgainstDummy(input.password, deps.config.bcryptCost);
  if (!found || !valid) throw new InvalidCredentialsError();
  return found;
}

/**
 * The second half of a sign-in: opens a session for a user whose password was just checked, under the credentials version read with
 * that password. If a password or role change commits in between, nothing is stored: with the password
 * changed the sign-in fails like a wrong password; with only the roles changed, it opens the session
 * under the new version and roles (the password checked is still the user's).
 */
export async function openSession(deps: SessionDeps, checked: User, client: ClientInfo): Promise<{ user: User } & TokenPair> {
  let user = checked;
  for (let attempt = 0; attempt < 3; attempt++) {
    const sessionId = randomUUID();
    const { token, record } = newRefreshRecord(deps, user.id, sessionId);
    const session = {
      userId: user.id,
      sessionId,
      createdAt: record.createdAt,
      lastUsedAt: record.createdAt,
      userAgent: client.userAgent?.slice(0, 256),
      ip: client.ip,
      expiresAt: record.expiresAt,
      credVersion: user.credVersion,
    };
    if (await createSession(deps.table, session, record)) {
      return { user, accessToken: await accessTokenFor(deps, user.id, user.roles, sessionId), refreshToken: token };
    }
    // (A re-hash at sign-in changes the hash but not the version, so it never lands here.)
    const current = await getUser(deps.table, user.id);
    if (!current || current.passwordHash !== checked.passwordHash) throw new InvalidCredentialsError();
    user = current;
  }
  throw new InvalidCredentialsError();
}

/**
 * After a raise of BCRYPT_COST, stored hashes move to the new cost at their owner's next sign-in (the
 * only time the password is at hand). Never lowers a cost.
 */
async function upgradeHash(deps: AccountDeps, user: User, password: string): Promise<void> {
  if (!needsRehash(user.passwordHash, deps.config.bcryptCost)) return;
  await updateProfile(deps.table, user.id, { passwordHash: await hashPassword(password, deps.config.bcryptCost) }, user.passwordHash);
}
