import type { AccessClaims } from '../access/tokens';
import { enqueueAfterChange } from '../email/queue';
import { provenName } from '../email/templates';
import { UnauthorizedError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { verifyPassword } from '../shared/passwords';
import { getUser } from '../store/users';
import { deleteUser } from './admin-users';
import { admitAttempt } from './lockout';
import type { MailingDeps } from './types';

/**
 * Deletes the caller's own account after checking the password (counted like a sign-in attempt, so a
 * stolen access token cannot be used to guess it; wrong: 401 and nothing changes). The deletion is the
 * admin's (admin-users.ts deleteUser: profile and claims in one transaction, then sessions, tokens and
 * events), conditioned on the credentials the password was checked against: a password, role or MFA
 * change committed since answers 401. The last admin is refused (409). A notice goes to the address
 * the account had.
 *
 * No second factor is asked for, with MFA on or not: turning MFA off needs the password alone (mfa.ts
 * disableTotp), so a code here would stop no one who has the password and a session.
 */
export async function deleteOwnAccount(deps: MailingDeps, caller: AccessClaims, password: string, ip: string | undefined): Promise<void> {
  const user = await getUser(deps.table, caller.userId);
  if (!user) throw new UnauthorizedError();
  await admitAttempt(deps, user.username, ip);
  if (!(await verifyPassword(password, user.passwordHash))) throw new UnauthorizedError(MESSAGES.currentPasswordWrong);
  await deleteUser(deps, user.id, { checkedVersion: user.credVersion });
  await enqueueAfterChange(deps.mail, { kind: 'account-deleted', email: user.email, username: provenName(user) }, deps.table.deadline);
}
