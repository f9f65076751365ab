import { hashOpaqueToken } from '../access/tokens';
import { enqueueAfterChange, type MailJob } from '../email/queue';
import { epochSeconds } from '../shared/clock';
import { BadRequestError, EmailTakenError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { hashPassword } from '../shared/passwords';
import { clearAttempts } from '../store/attempts';
import { spendEmailLink, spendResetToken } from '../store/email-tokens';
import { revokeAllSessions } from '../store/sessions';
import { getUser, normalizeIdentifier } from '../store/users';
import { recordEvent } from './events';
import { admitMailRequest, admitResetAttempt } from './lockout';
import type { AccountDeps, MailingDeps } from './types';

/**
 * The emailed links: asking for one (forgot password, resend verification) and spending one (reset,
 * verify). Asking does the same work whatever the address: count the source IP, hand a job to the
 * mailer function. Whether the address belongs to anyone is found out only there, after the answer.
 */
export async function requestMail(deps: MailingDeps, job: Extract<MailJob, { email: string }>): Promise<void> {
  await admitMailRequest(deps, deps.client.ip);
  await deps.mail.enqueue(job, deps.table.deadline);
}

/** Tokens this service mails are 256 random bits in base64url: anything else is refused unread. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sets a new password with a reset token. Every session ends (the same write bumps `credVersion`; the
 * sessions' refresh tokens are revoked after it), the username's sign-in lockout clears, the user is
 * not signed in, and a "password changed" mail goes out. MFA stays as it was. Attempts count against
 * the source IP's sign-in limit. Throws BadRequestError (unknown, expired, used, replaced token).
 */
export async function resetPassword(deps: MailingDeps, input: { token: string; newPassword: string }): Promise<void> {
  await admitResetAttempt(deps, deps.client.ip);
  if (!TOKEN_FORMAT.test(input.token)) throw new BadRequestError(MESSAGES.resetTokenInvalid);
  const passwordHash = await hashPassword(input.newPassword, deps.config.bcryptCost);
  const userId = await spendResetToken(deps.table, hashOpaqueToken(input.token), epochSeconds(deps.now()), passwordHash);
  if (!userId) throw new BadRequestError(MESSAGES.resetTokenInvalid);
  const user = await getUser(deps.table, userId);
  await Promise.all([
    revokeAllSessions(deps.table, userId, deps.now().toISOString()),
    user ? clearAttempts(deps.table, 'username', normalizeIdentifier(user.username)) : undefined,
    recordEvent(deps, userId, 'password.reset'),
    enqueueAfterChange(deps.mail, { kind: 'password-changed', userId }, deps.table.deadline),
  ]);
}

/**
 * Spends an emailed verification link: a sign-up's (the email is verified) or an email change's (the
 * address moves to the new one, verified; lib/store/email-tokens.ts spendEmailLink). Sessions live on
 * after a change: they were opened with the password, which did not change; the reset link and any
 * verification link mailed to the old address die with it. Throws BadRequestError (bad token),
 * EmailTakenError (the new address was taken since the change was asked for).
 */
export async function verifyEmail(deps: AccountDeps, input: { token: string }): Promise<void> {
  if (!TOKEN_FORMAT.test(input.token)) throw new BadRequestError(MESSAGES.verifyTokenInvalid);
  const outcome = await spendEmailLink(deps.table, hashOpaqueToken(input.token), epochSeconds(deps.now()));
  if (outcome.kind === 'invalid') throw new BadRequestError(MESSAGES.verifyTokenInvalid);
  if (outcome.kind === 'email-taken') throw new EmailTakenError();
  await recordEvent(deps, outcome.userId, outcome.kind === 'changed' ? 'email.change' : 'email.verify');
}
