import type { AuthDeps } from './auth';
import { config } from '../shared/config';
import type { Deadline } from '../shared/deadline';
import { signingKeys } from '../access/keys';
import { createTable, withDeadline, type Table } from '../store/table';

/**
 * Per-cold-start wiring for the handlers: the config, the one table client and the signing keys.
 * Domain code never imports this file; it gets the same things as parameters.
 */
let table: Table | undefined;

export function runtimeTable(): Table {
  table ??= createTable(config());
  return table;
}

/** What the account operations need for one request (no signing keys): every call ends by its deadline. */
export function runtimeAccountDeps(deadline: Deadline): Omit<AuthDeps, 'keys'> {
  return { table: withDeadline(runtimeTable(), deadline), now: () => new Date(), config: config() };
}

export async function runtimeDeps(deadline: Deadline): Promise<AuthDeps> {
  return { ...runtimeAccountDeps(deadline), keys: await deadline.race(signingKeys()) };
}
