import type { AccessClaims } from '../access/tokens';
import { enqueueAfterChange } from '../email/queue';
import { provenName } from '../email/templates';
import { UnauthorizedError } from '../shared/errors';
import { assertDone, removeUser } from './admin-users';
import { callerWithPassword } from './lockout';
import { stillTheCallers } from './sessions';
import type { MailingDeps } from './types';

/**
 * Deletes the caller's own account after checking the password (counted like a sign-in attempt, so a
 * stolen access token cannot be used to guess it; wrong: 401 and nothing changes). The deletion is the
 * admin's (admin-users.ts removeUser: profile and claims in one transaction, then sessions, tokens and
 * events), conditioned on the credentials the password was checked against. Lost to a change committed
 * in between, it is tried once more as if it had come second (as MFA off is, mfa.ts disableTotp): only
 * while the password checked is still the user's and the caller's session lives under the new
 * credentials (MFA switched from this session keeps it), else 401. The last admin is refused (409). A
 * notice goes to the address the account had.
 *
 * No second factor is asked for, with MFA on or not: turning MFA off needs the password alone (mfa.ts
 * disableTotp), so a code here would stop no one who has the password and a session.
 */
export async function deleteOwnAccount(deps: MailingDeps, caller: AccessClaims, password: string, ip: string | undefined): Promise<void> {
  let user = await callerWithPassword(deps, caller.userId, password, ip);
  const checked = user;
  for (let attempt = 0; ; attempt++) {
    const outcome = await removeUser(deps, checked.id, { checkedVersion: user.credVersion });
    // Gone already (an admin's deletion, or another of its own, in between): the caller is no one now.
    if (outcome === 'not-found') throw new UnauthorizedError();
    if (outcome !== 'changed') {
      assertDone(outcome);
      break;
    }
    if (attempt > 0) throw new UnauthorizedError();
    const now = await stillTheCallers(deps, checked, caller.sessionId);
    if (!now) throw new UnauthorizedError();
    user = now;
  }
  await enqueueAfterChange(deps.mail, { kind: 'account-deleted', email: checked.email, username: provenName(checked) }, deps.table.deadline);
}
