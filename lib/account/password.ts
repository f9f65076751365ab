import type { AccessClaims } from '../access/tokens';
import { UnauthorizedError } from '../shared/errors';
import { hashPassword } from '../shared/passwords';
import { revokeAllSessions } from '../store/sessions';
import { changeCredentials } from '../store/users';
import { callerWithPassword } from './lockout';
import { stillTheCallers } from './sessions';
import { recordEvent } from './events';
import { enqueueAfterChange } from '../email/queue';
import type { MailingDeps } from './types';

/**
 * Changes the caller's password after checking the current one (counted like a sign-in attempt, so a
 * stolen access token cannot be used to guess it); every session of the user ends, and the owner gets
 * a "password changed" mail.
 */
export async function changePassword(
  deps: MailingDeps,
  actor: AccessClaims,
  input: { currentPassword: string; newPassword: string },
  ip: string | undefined,
): Promise<void> {
  const user = await callerWithPassword(deps, actor.userId, input.currentPassword, ip);
  // The version bump in this write is what ends every session, including any sign-in racing it; the
  // revocations after it only keep the session list honest. Only while the credentials are those the
  // current password was checked against: a change committed since (another change checked against the
  // same password at once, a reset, a role change) ended the caller's session, so this one is 401. An MFA
  // switch from this very session keeps it: then tried once more as if it had come second (the model
  // run, seed 1086857622: MFA off and a password change from one session at once answered 401).
  const passwordHash = await hashPassword(input.newPassword, deps.config.bcryptCost);
  let version = user.credVersion;
  for (let attempt = 0; !(await changeCredentials(deps.table, user.id, { passwordHash }, version)); attempt++) {
    const now = attempt === 0 ? await stillTheCallers(deps, user, actor.sessionId) : undefined;
    if (!now) throw new UnauthorizedError();
    version = now.credVersion;
  }
  await Promise.all([
    revokeAllSessions(deps.table, user.id, deps.now().toISOString()),
    recordEvent(deps, user.id, 'password.change'),
    enqueueAfterChange(deps.mail, { kind: 'password-changed', userId: user.id }, deps.table.deadline),
  ]);
}
