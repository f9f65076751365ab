import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * The one structured logger (AWS Lambda Powertools): JSON lines with the Lambda request id, cold
 * start and service name. Only named fields are ever logged: never a password, token, hash or raw
 * event (they carry credentials). POWERTOOLS_LOGGER_SAMPLE_RATE (serverless.yml, from LOG_SAMPLE_RATE)
 * is the share of invocations logged at DEBUG: the only ones that log a request that went well.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lambda-jwt-auth' });

/**
 * The start of every invocation: the Lambda context on each line, and a fresh sampling decision, so one
 * request in POWERTOOLS_LOGGER_SAMPLE_RATE is logged at DEBUG, not every request of one container.
 */
export function startInvocation(context: Context | undefined): void {
  if (context) logger.addContext(context);
  logger.refreshSampleRateCalculation();
}

/** How a request ended: served, refused (the caller's doing: 4xx, a denied token), or failed (ours: 5xx). */
export type Outcome = 'ok' | 'refused' | 'failed';

/**
 * The one line that says how a request ended. A refusal or failure is always logged (INFO, WARN); a
 * request that went well only at DEBUG, so only in sampled invocations: on the authorizer and the
 * content routes that is nearly every request, and CloudWatch bills every byte ingested.
 */
export function logOutcome(message: string, outcome: Outcome, fields: Record<string, unknown>): void {
  const line = { outcome, ...fields };
  if (outcome === 'ok') logger.debug(message, line);
  else if (outcome === 'refused') logger.info(message, line);
  else logger.warn(message, line);
}

/**
 * An error as a log field: its name and message only (SDK errors carry requests; a stack says nothing
 * an operator needs). Non-errors as their string.
 */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** What went wrong underneath: the wrapped cause of an error that has one (a 503 around an SDK error), else the error. */
export function rootCause(error: unknown): unknown {
  return error instanceof Error && error.cause instanceof Error ? error.cause : error;
}
