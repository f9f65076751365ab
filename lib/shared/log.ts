import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger (AWS Lambda Powertools): JSON lines with the Lambda request id, cold
 * start and service name. Only named fields are ever logged: never a password, token, hash or raw
 * event (they carry credentials).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lambda-jwt-auth' });

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
