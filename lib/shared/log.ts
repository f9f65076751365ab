import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger (AWS Lambda Powertools): JSON lines with the Lambda request id, cold
 * start and service name. Only named fields are ever logged: never a password, token, hash or raw
 * event (they carry credentials).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lambda-jwt-auth' });
