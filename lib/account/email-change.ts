import type { AccessClaims } from '../access/tokens';
import { BadRequestError, EmailTakenError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { findUserByEmail, normalizeIdentifier } from '../store/users';
import { admitMailRequest, callerWithPassword } from './lockout';
import type { MailingDeps } from './types';

/**
 * Asks to change the caller's email address. The recovery address is what a password reset trusts, so
 * the current password is required (counted like a sign-in attempt, as for a password change). Nothing
 * changes here: the mailer sends a link to the new address and a notice to the old one, and the address
 * changes only when the link is spent (POST /api/auth/email/verify; lib/store/email-tokens.ts
 * spendEmailLink). The job carries the credentials version the password was checked against, so a
 * password change, reset, role or MFA change in between voids it. A new request replaces the earlier
 * link. The mail to the new address (nobody has proved it yet) counts against the per-IP mail limit.
 * Throws UnauthorizedError (wrong password), TooManyRequestsError, BadRequestError (the current
 * address), EmailTakenError (another account's address: the caller has proved the password, and
 * sign-up tells the same).
 */
export async function requestEmailChange(
  deps: MailingDeps,
  actor: AccessClaims,
  input: { newEmail: string; password: string },
  ip: string | undefined,
): Promise<void> {
  const user = await callerWithPassword(deps, actor.userId, input.password, ip);
  if (normalizeIdentifier(input.newEmail) === normalizeIdentifier(user.email)) throw new BadRequestError(MESSAGES.emailUnchanged);
  if (await findUserByEmail(deps.table, input.newEmail)) throw new EmailTakenError();
  await admitMailRequest(deps, ip);
  await deps.mail.enqueue({ kind: 'email-change', userId: user.id, newEmail: input.newEmail, credVersion: user.credVersion }, deps.table.deadline);
}
