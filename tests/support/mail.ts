import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { MailJob, MailQueue } from '../../lib/email/queue';
import { itemKeys } from '../../lib/store/item-keys';
import type { Table } from '../../lib/store/table';
import { normalizeIdentifier } from '../../lib/store/users';

/**
 * For in-process runs of the domain code (integration tier, bench): a queue that keeps the jobs handed
 * to it instead of invoking the mailer function, so a test can see which mail an operation asked for.
 * Everything over HTTP (e2e, security) goes through the real async invoke and the SES emulator.
 */
export function recordingMailQueue(): MailQueue & { jobs: MailJob[] } {
  const jobs: MailJob[] = [];
  return {
    jobs,
    enqueue: async (job) => {
      jobs.push(job);
    },
  };
}

/** A mail as the SES emulator (aws-ses-v2-local) keeps it, at `GET /store`. */
export interface StoredMail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** Every mail the emulator holds that went to `address`, oldest first. */
export async function mailsTo(address: string): Promise<StoredMail[]> {
  const response = await fetch(`${process.env.E2E_SES_URL}/store`);
  if (!response.ok) throw new Error(`SES emulator store answered ${response.status}`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails.filter((mail) => mail.destination.to.includes(address));
}

/**
 * Waits (up to `withinMs`) until `count` mails to `address` match `subject`, and returns them. The
 * mailer runs after the request has answered, so mail arrives a little later.
 */
export async function awaitMails(address: string, subject: RegExp, count = 1, withinMs = 10_000): Promise<StoredMail[]> {
  const started = Date.now();
  for (;;) {
    const matching = (await mailsTo(address)).filter((mail) => subject.test(mail.subject));
    if (matching.length >= count) return matching;
    if (Date.now() - started > withinMs) throw new Error(`${count} mail(s) "${subject}" to ${address} not seen within ${withinMs} ms (saw ${matching.length})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The token of an emailed link (`…#token=…`), from the text part. */
export function linkToken(mail: StoredMail): string {
  const match = /#token=([A-Za-z0-9_-]+)/.exec(mail.body.text ?? '');
  if (!match?.[1]) throw new Error(`no token link in mail "${mail.subject}"`);
  return match[1];
}

/**
 * Forgets the per-address mail quota of `address`, as if its hour had passed: for a test that asks for
 * a mail within a minute of sign-up's link, which took the quota's minute. Call it once that link has
 * arrived (the mailer takes the quota before it sends), or the link may take it again afterwards.
 */
export async function forgetMailQuota(table: Table, address: string): Promise<void> {
  await table.client.send(new DeleteCommand({ TableName: table.name, Key: itemKeys.mailQuota(normalizeIdentifier(address)) }));
}
