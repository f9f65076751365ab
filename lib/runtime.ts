import type { AuthDeps } from './auth';
import { config } from './config';
import { signingKeys } from './keys';
import { createTable, type Table } from './store/table';

/**
 * Per-cold-start wiring for the handlers: the config, the one table client and the signing keys.
 * Domain code never imports this file; it gets the same things as parameters.
 */
let table: Table | undefined;

export function runtimeTable(): Table {
  table ??= createTable(config());
  return table;
}

/** What the account operations need: no signing keys. */
export function runtimeAccountDeps(): Omit<AuthDeps, 'keys'> {
  return { table: runtimeTable(), now: () => new Date(), config: config() };
}

export async function runtimeDeps(): Promise<AuthDeps> {
  return { ...runtimeAccountDeps(), keys: await signingKeys() };
}
