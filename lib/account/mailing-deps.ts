import { createLambdaMailQueue, type MailQueue } from '../email/queue';
import { config } from '../shared/config';
import { type RequestContext, runtimeAccountDeps } from './deps';
import type { MailingDeps } from './types';

/** The mail queue, once per cold start, for the handlers whose requests cause mail (lib/account/deps.ts). */
let mailQueue: MailQueue | undefined;

export function runtimeMailingDeps(request: RequestContext): MailingDeps {
  mailQueue ??= createLambdaMailQueue(config());
  return { ...runtimeAccountDeps(request), mail: mailQueue };
}
