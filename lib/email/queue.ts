import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Config } from '../shared/config';
import type { Deadline } from '../shared/deadline';
import { ServiceUnavailableError } from '../shared/errors';
import { describeError, logger, rootCause } from '../shared/log';

/**
 * A mail to send, as handed to the mailer function. Requests name the address (forgot, resend), so
 * the request itself never learns whether it belongs to anyone; account changes name the user.
 */
export type MailJob =
  | { kind: 'verify-email'; userId: string }
  | { kind: 'resend-verification'; email: string }
  | { kind: 'reset-password'; email: string }
  | { kind: 'password-changed'; userId: string }
  /** A requested email change (lib/account/email-change.ts), void once the credentials left `credVersion`. */
  | { kind: 'email-change'; userId: string; newEmail: string; credVersion: number }
  /** The account is gone by the time the mailer runs, so the job carries the address (and a proven name). */
  | { kind: 'account-deleted'; email: string; username: string | undefined };

/** Hands a mail job over, without waiting for the mail. Throws ServiceUnavailableError when it cannot. */
export interface MailQueue {
  enqueue(job: MailJob, deadline?: Deadline): Promise<void>;
}

/**
 * The mailer function, invoked asynchronously (`InvocationType: Event`): the request answers as soon
 * as Lambda has accepted the job, the same way whatever the job finds later (no enumeration through
 * time), and SES's latency or failures never reach the client. Locally serverless-offline's Lambda
 * endpoint accepts the same call.
 */
export function createLambdaMailQueue(settings: Pick<Config, 'region' | 'lambdaEndpoint' | 'mailerFunction'>): MailQueue {
  const client = new LambdaClient({
    region: settings.region,
    maxAttempts: 3,
    ...(settings.lambdaEndpoint ? { endpoint: settings.lambdaEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return {
    async enqueue(job, deadline) {
      try {
        const call = client.send(
          new InvokeCommand({ FunctionName: settings.mailerFunction, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(job)) }),
          deadline ? { abortSignal: deadline.signal } : {},
        );
        const result = deadline ? await deadline.race(call) : await call;
        if (result.StatusCode !== 202) throw new Error(`mailer invoke answered ${result.StatusCode}`);
      } catch (error) {
        throw new ServiceUnavailableError({ cause: error });
      }
    },
  };
}

/**
 * For a mail that follows a change already made (the verification link after sign-up, the notice after
 * a password change): the change stands even if the job cannot be handed over, so the failure is
 * logged, not answered. (Sign-up's link can be sent again with /api/auth/email/resend.)
 */
export async function enqueueAfterChange(queue: MailQueue, job: MailJob, deadline?: Deadline): Promise<void> {
  try {
    await queue.enqueue(job, deadline);
  } catch (error) {
    logger.error('mail job not handed over', { job: job.kind, error: describeError(rootCause(error)) });
  }
}
