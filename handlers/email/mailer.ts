import type { Context } from 'aws-lambda';
import { type Delivery, deliverMail } from '../../lib/account/mail-delivery';
import { createSesSender } from '../../lib/email/ses';
import type { MailJob } from '../../lib/email/queue';
import { config } from '../../lib/shared/config';
import { Deadline } from '../../lib/shared/deadline';
import { describeError, logger, rootCause, startInvocation } from '../../lib/shared/log';
import { isWarmUp, logWarmUp } from '../../lib/shared/warm-up';
import { createTable, withDeadline } from '../../lib/store/table';

const table = createTable(config());
const send = createSesSender(config());

/** Mail is not interactive: the job may use the function's time, not a request's 2 s. */
const MAILER_BUDGET_MS = 20_000;

/**
 * The mailer: invoked asynchronously (never through API Gateway) with one MailJob. Failures are logged
 * and swallowed: Lambda's own retries of an async event would send the same mail twice, and the user
 * can always ask again. Nothing here reaches a client. The outcome is returned too, for a synchronous
 * invocation (an operator's, or the e2e tier's through the local Lambda endpoint); Lambda drops it for
 * the asynchronous ones requests make.
 */
export async function handler(job: MailJob, context?: Context): Promise<Delivery | 'failed' | 'warm-up'> {
  startInvocation(context);
  // Loaded only (scripts/local-stack.ts): no job, no mail, no "mail job" line.
  if (isWarmUp(job)) {
    logWarmUp();
    return 'warm-up';
  }
  const deadline = Deadline.forRequest(context?.getRemainingTimeInMillis(), MAILER_BUDGET_MS);
  try {
    const outcome = await deliverMail({ table: withDeadline(table, deadline), now: () => new Date(), send, deadline, config: config() }, job);
    logger.info('mail job', { job: job?.kind, outcome });
    return outcome;
  } catch (error) {
    logger.error('mail job failed', { job: job?.kind, error: describeError(rootCause(error)) });
    return 'failed';
  } finally {
    deadline.dispose();
  }
}
