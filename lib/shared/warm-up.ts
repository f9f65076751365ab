import { logger } from './log';

/**
 * The event a function is invoked with only to be loaded (`npm start` and the test stacks warm every function
 * this way: scripts/local-stack.ts). No gateway event is shaped like it: API Gateway's always carry a
 * `requestContext`. A warm-up touches nothing and is no request, so it is logged as a warm-up (DEBUG: sampled
 * invocations only), never as a refusal.
 */
export const WARM_UP_EVENT = { warmUp: true } as const;

/** Whether `event` is the warm-up event (and nothing API Gateway or a mail job could send). */
export function isWarmUp(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { warmUp?: unknown }).warmUp === true && !('requestContext' in event);
}

/** The one line a warm-up leaves: DEBUG, so only in a sampled invocation. */
export function logWarmUp(): void {
  logger.debug('warm-up');
}
