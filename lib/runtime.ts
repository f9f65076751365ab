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

export async function runtimeDeps(): Promise<AuthDeps> {
  return { table: runtimeTable(), keys: await signingKeys(), now: () => new Date(), config: config() };
}
