import { generateOpaqueToken, hashOpaqueToken } from '../access/tokens';
import type { MailJob } from '../email/queue';
import type { SendEmail } from '../email/ses';
import { provenName, renderEmail, type EmailTemplate } from '../email/templates';
import { epochSeconds } from '../shared/clock';
import type { Config } from '../shared/config';
import type { Deadline } from '../shared/deadline';
import { type EmailTokenPurpose, saveEmailToken } from '../store/email-tokens';
import { takeMailQuota } from '../store/mail-quota';
import type { Table } from '../store/table';
import { findUserByEmail, getUser, normalizeIdentifier, type User } from '../store/users';

/** What the mailer function needs: the table, a clock, the SES sender, and the settings of its mails. */
export interface MailerDeps {
  table: Table;
  now: () => Date;
  send: SendEmail;
  deadline?: Deadline | undefined;
  config: Pick<Config, 'productName' | 'appUrl' | 'resetTokenTtlSeconds' | 'verifyTokenTtlSeconds'>;
}

/** What became of a job: sent, or why not (for the mailer's log line; never shown to a client). */
export type Delivery = 'sent' | 'no-such-user' | 'already-verified' | 'quota' | 'stale';

/**
 * Carries out one mail job in the mailer function, after the request that caused it has answered.
 * Only here is an address looked up, a token made, and a mail sent, so requests for unknown addresses
 * look the same from outside. Mails that requests from anyone cause (sign-up's link, forgot, resend)
 * are limited per address (lib/store/mail-quota.ts), silently. A mail greets by username only an
 * address its owner has proved (templates.ts). Throws when the table or SES fails.
 */
export async function deliverMail(deps: MailerDeps, job: MailJob): Promise<Delivery> {
  switch (job.kind) {
    case 'verify-email': {
      const user = await getUser(deps.table, job.userId);
      if (!user) return 'no-such-user';
      if (user.emailVerified) return 'already-verified';
      // Sign-up names the address, so its link counts like any other mail to it.
      if (!(await takeMailQuota(deps.table, normalizeIdentifier(user.email), epochSeconds(deps.now())))) return 'quota';
      return sendWithToken(deps, user, 'verify');
    }
    case 'resend-verification': {
      const user = await findUserByEmail(deps.table, job.email);
      if (!user) return 'no-such-user';
      if (user.emailVerified) return 'already-verified';
      if (!(await takeMailQuota(deps.table, normalizeIdentifier(user.email), epochSeconds(deps.now())))) return 'quota';
      return sendWithToken(deps, user, 'verify');
    }
    case 'reset-password': {
      const user = await findUserByEmail(deps.table, job.email);
      if (!user) return 'no-such-user';
      if (!(await takeMailQuota(deps.table, normalizeIdentifier(user.email), epochSeconds(deps.now())))) return 'quota';
      return sendWithToken(deps, user, 'reset');
    }
    case 'password-changed': {
      const user = await getUser(deps.table, job.userId);
      if (!user) return 'no-such-user';
      await send(deps, user, { kind: 'password-changed', username: provenName(user) });
      return 'sent';
    }
    case 'email-change':
      return sendEmailChange(deps, job);
    case 'account-deleted': {
      // Asked for by the signed-in owner (password checked), once per account: no per-address quota.
      await deps.send(renderEmail(job.email, { kind: 'account-deleted', username: job.username }, deps.config.productName), deps.deadline?.signal);
      return 'sent';
    }
  }
}

/**
 * An email change: a link to the new address (within that address's quota: a stranger's, perhaps) and a
 * notice to the old one, unless the credentials changed since the request's password check (a password
 * change or reset in between voids the request, 'stale'). The token records that version and the
 * address it replaces; it is spent only while both still hold (lib/store/email-tokens.ts).
 */
async function sendEmailChange(deps: MailerDeps, job: Extract<MailJob, { kind: 'email-change' }>): Promise<Delivery> {
  const user = await getUser(deps.table, job.userId);
  if (!user) return 'no-such-user';
  if (user.credVersion !== job.credVersion) return 'stale';
  if (!(await takeMailQuota(deps.table, normalizeIdentifier(job.newEmail), epochSeconds(deps.now())))) return 'quota';
  const token = generateOpaqueToken();
  const ttl = deps.config.verifyTokenTtlSeconds;
  await saveEmailToken(deps.table, {
    hash: hashOpaqueToken(token),
    purpose: 'email-change',
    userId: user.id,
    email: job.newEmail,
    expiresAt: epochSeconds(deps.now()) + ttl,
    change: { previousEmail: user.email, credVersion: job.credVersion },
  });
  // The notice first: a link must never go out while its owner's old address hears nothing.
  await send(deps, user, { kind: 'email-change-notice', username: provenName(user), newEmail: job.newEmail });
  // The same page and POST as a sign-up's link (/api/auth/email/verify tells them apart by the token).
  const link = `${deps.config.appUrl}/verify-email#token=${token}`;
  await deps.send(
    renderEmail(job.newEmail, { kind: 'confirm-email-change', link, validForHours: Math.round(ttl / 3600) }, deps.config.productName),
    deps.deadline?.signal,
  );
  return 'sent';
}

/** A new token of this purpose (replacing the user's previous one), mailed as a link. */
async function sendWithToken(deps: MailerDeps, user: User, purpose: EmailTokenPurpose): Promise<Delivery> {
  const token = generateOpaqueToken();
  const ttl = purpose === 'reset' ? deps.config.resetTokenTtlSeconds : deps.config.verifyTokenTtlSeconds;
  await saveEmailToken(deps.table, {
    hash: hashOpaqueToken(token),
    purpose,
    userId: user.id,
    email: user.email,
    expiresAt: epochSeconds(deps.now()) + ttl,
  });
  // In the fragment: never sent to any server by a browser, and only the front-end's POST spends it.
  const link = `${deps.config.appUrl}/${purpose === 'reset' ? 'reset-password' : 'verify-email'}#token=${token}`;
  await send(
    deps,
    user,
    purpose === 'reset'
      ? { kind: 'reset-password', username: provenName(user), link, validForMinutes: Math.round(ttl / 60) }
      : { kind: 'verify-email', link, validForHours: Math.round(ttl / 3600) },
  );
  return 'sent';
}

function send(deps: MailerDeps, user: User, template: EmailTemplate): Promise<void> {
  return deps.send(renderEmail(user.email, template, deps.config.productName), deps.deadline?.signal);
}
