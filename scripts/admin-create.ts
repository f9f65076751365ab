/**
 * `npm run admin:create -- --stage prod --username alice --email alice@example.com`
 * Creates an admin, or gives an existing user every role, in the stage's table. The password comes
 * from ADMIN_PASSWORD (never a command-line argument: it would land in shell history and `ps`).
 * Uses the ordinary AWS credential chain; DYNAMODB_ENDPOINT points it at DynamoDB Local instead.
 */
import { parseArgs } from 'node:util';
import { ensureAdmin } from '../lib/admin';
import { loadConfig } from '../lib/config';
import { createTable } from '../lib/store/table';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string', default: 'local' },
      region: { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
    },
  });
  const username = values.username ?? process.env.ADMIN_USERNAME;
  const email = values.email ?? process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (!username || !email || !password) {
    throw new Error('usage: ADMIN_PASSWORD=... npm run admin:create -- --stage <stage> --username <name> --email <email>');
  }
  const local = values.stage === 'local';
  const config = loadConfig({
    ...process.env,
    TABLE_NAME: process.env.TABLE_NAME ?? `lambda-jwt-auth-${values.stage}`,
    AWS_REGION: values.region ?? process.env.AWS_REGION ?? 'us-east-1',
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT ?? (local ? 'http://127.0.0.1:8000' : ''),
    // Creating a user needs no signing key.
    SIGNING_KEYS: '{"keys":[]}',
  });
  const table = createTable(config);
  try {
    const outcome = await ensureAdmin({ table, now: () => new Date(), config }, { username, email, password });
    console.log(`admin ${username} in ${config.tableName}: ${outcome}`);
  } finally {
    table.client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
