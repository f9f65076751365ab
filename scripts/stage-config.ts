import { type Config, loadConfig, localPorts } from '../lib/shared/config';

/**
 * The configuration of an operator script acting on a stage's table from the command line: the stage's
 * table name, the region, and for the local stage the DynamoDB Local that `npm start` runs (DYNAMODB_PORT,
 * read by the same localPorts). Such scripts sign nothing (and are named no key part).
 */
export function stageConfig(stage: string, region: string | undefined): Config {
  const local = stage === 'local';
  return loadConfig({
    ...process.env,
    TABLE_NAME: process.env.TABLE_NAME ?? `lambda-jwt-auth-${stage}`,
    AWS_REGION: region ?? process.env.AWS_REGION ?? 'us-east-1',
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT ?? (local ? `http://127.0.0.1:${localPorts().dynamodb}` : ''),
  });
}
