/**
 * `npm run admin:create -- --stage prod --username alice --email alice@example.com [--promote]`
 * Creates an admin in the stage's table. An existing user of that name is never promoted silently (it
 * may be a squatter who signed up first): that needs `--promote` and the same email, and keeps that
 * user's own password. The password comes from ADMIN_PASSWORD (never a command-line argument: it would
 * land in shell history and `ps`).
 * Uses the ordinary AWS credential chain; DYNAMODB_ENDPOINT points it at DynamoDB Local instead.
 */
import { parseArgs } from 'node:util';
import { ensureAdmin } from '../lib/account/bootstrap';
import { accountDeps } from '../lib/account/types';
import { createTable } from '../lib/store/table';
import { stageConfig } from './stage-config';

const DESCRIBE = {
  created: 'created with every role and the password from ADMIN_PASSWORD',
  promoted: 'existing user promoted to every role; its own password is unchanged (ADMIN_PASSWORD was not used) and its sessions were ended',
  unchanged: 'already an admin with every role; nothing changed (ADMIN_PASSWORD was not used)',
} as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string', default: 'local' },
      region: { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
      promote: { type: 'boolean', default: false },
    },
  });
  const username = values.username ?? process.env.ADMIN_USERNAME;
  const email = values.email ?? process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (!username || !email || !password) {
    throw new Error('usage: ADMIN_PASSWORD=... npm run admin:create -- --stage <stage> --username <name> --email <email> [--promote]');
  }
  // Creating a user needs no signing key.
  const config = stageConfig(values.stage ?? 'local', values.region);
  const table = createTable(config);
  try {
    const outcome = await ensureAdmin(accountDeps(table, config), { username, email, password }, { promote: values.promote });
    console.log(`admin ${username} in ${config.tableName}: ${DESCRIBE[outcome]}`);
  } finally {
    table.client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
