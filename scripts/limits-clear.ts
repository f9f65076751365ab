/**
 * `npm run limits:clear`: deletes every request counter (sign-in lockouts, mail and sign-up limits per
 * IP, second-factor attempts, per-address mail quotas) from the local stage's table, so a developer who
 * hit a limit goes on at once, without a restart. It finds the DynamoDB Local that `npm start` runs as
 * admin:create does (DYNAMODB_PORT, or DYNAMODB_ENDPOINT and TABLE_NAME), and refuses any endpoint that
 * is not on this machine: lifting every lockout is no action for a deployed stage.
 */
import { ServiceUnavailableError } from '../lib/shared/errors';
import { clearAllCounters } from '../lib/store/counters';
import { createTable } from '../lib/store/table';
import { stageConfig } from './stage-config';

/** True for an endpoint on this machine: localhost, 127.0.0.0/8 or [::1]. */
function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

async function main(): Promise<void> {
  if (process.argv.length > 2) throw new Error('usage: npm run limits:clear (no options: it clears the local stage only)');
  const config = stageConfig('local', undefined);
  if (!isLoopbackEndpoint(config.dynamodbEndpoint)) {
    throw new Error(
      `limits:clear clears the local stage only, and DYNAMODB_ENDPOINT is ${config.dynamodbEndpoint ? `"${config.dynamodbEndpoint}"` : 'unset (AWS)'}: nothing was deleted`,
    );
  }
  const table = createTable(config);
  try {
    const cleared = await clearAllCounters(table);
    console.log(
      `cleared ${cleared.attempts} attempt counter(s) and ${cleared.mailQuotas} mail quota(s) in ${config.tableName} at ${config.dynamodbEndpoint}: every limit starts again from zero`,
    );
  } finally {
    table.client.destroy();
  }
}

main().catch((error: unknown) => {
  // DynamoDB Local not running shows as the store's 503 error: say what to check instead.
  if (error instanceof ServiceUnavailableError)
    console.error(`no DynamoDB Local answered at the local stage's endpoint: is \`npm start\` running (DYNAMODB_PORT)?`);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
