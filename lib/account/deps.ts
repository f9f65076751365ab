import { signingKeys } from '../access/keys';
import { config } from '../shared/config';
import type { Deadline } from '../shared/deadline';
import { createTable, withDeadline, type Table } from '../store/table';
import { accountDeps, type AccountDeps, type SessionDeps } from './types';

/**
 * Per-cold-start wiring for the handlers: the config, the one table client and the signing keys.
 * Domain code never imports this file; it gets the same things as parameters (lib/account/types.ts).
 */
let table: Table | undefined;

function runtimeTable(): Table {
  table ??= createTable(config());
  return table;
}

/** What a request brings: its deadline, and where it came from (for its security events). */
export interface RequestContext {
  deadline: Deadline;
  sourceIp: string | undefined;
  userAgent: string | undefined;
}

/** What the account operations need for one request (no signing keys): every call ends by its deadline. */
export function runtimeAccountDeps(request: RequestContext): AccountDeps {
  return accountDeps(withDeadline(runtimeTable(), request.deadline), config(), { ip: request.sourceIp, userAgent: request.userAgent });
}

/** The same with the signing keys, read within the request's deadline. */
export async function runtimeSessionDeps(request: RequestContext): Promise<SessionDeps> {
  return { ...runtimeAccountDeps(request), keys: await request.deadline.race(signingKeys()) };
}
