import { ensureAdmin } from '../../lib/account/bootstrap';
import { accountDeps } from '../../lib/account/types';
import { type Config, loadConfig } from '../../lib/shared/config';
import { createTable } from '../../lib/store/table';
import type { LocalStack } from '../../scripts/local-stack';

/**
 * A test stack's `prepare`: creates this admin the way `npm start` does, before serverless-offline
 * starts, and hands the stack's configuration to `seen`.
 */
export function withAdmin(admin: { username: string; email: string; password: string }, seen: (config: Config) => void = () => undefined) {
  return async (env: Record<string, string>, database: LocalStack): Promise<void> => {
    const config = loadConfig({ ...env, TABLE_NAME: database.tableName });
    seen(config);
    const table = createTable(config);
    await ensureAdmin(accountDeps(table, config), admin);
    table.client.destroy();
  };
}
