import { publicKeys } from '../access/keys';
import { cursorKey, dataKey } from '../access/secret-keys';
import { issuingKeys } from '../access/signing-keys';
import { config } from '../shared/config';
import type { Deadline } from '../shared/deadline';
import { createTable, withDeadline, type Table } from '../store/table';
import { accountDeps, type AccountDeps, type MfaDeps, type PagingDeps, type SecondFactorDeps, type SessionDeps } from './types';

/**
 * Per-cold-start wiring for the handlers: the config, the one table client and the key parts a
 * function may read (only those: serverless.yml names no other part for it, and IAM lets it read no other).
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

/** What the account operations need for one request (no keys): every call ends by its deadline. */
export function runtimeAccountDeps(request: RequestContext): AccountDeps {
  return accountDeps(withDeadline(runtimeTable(), request.deadline), config(), { ip: request.sourceIp, userAgent: request.userAgent });
}

/** The same with the signing key (sign-in, refresh), read within the request's deadline. */
export async function runtimeSessionDeps(request: RequestContext): Promise<SessionDeps> {
  return { ...runtimeAccountDeps(request), keys: await request.deadline.race(issuingKeys()) };
}

/** The same with the data key (MFA setup and confirm). */
export async function runtimeMfaDeps(request: RequestContext): Promise<MfaDeps> {
  return { ...runtimeAccountDeps(request), keys: { dataKey: await request.deadline.race(dataKey()) } };
}

/** MFA verify: the public keys (the mfaToken), the data key (the secret) and the signing key (the session). */
export async function runtimeSecondFactorDeps(request: RequestContext): Promise<SecondFactorDeps> {
  const [issuing, verifying, sealing] = await request.deadline.race(Promise.all([issuingKeys(), publicKeys(), dataKey()]));
  return { ...runtimeAccountDeps(request), keys: { ...issuing, verifiers: verifying.verifiers, dataKey: sealing } };
}

/** The same with the cursor key (the admin list, the security event lists). */
export async function runtimePagingDeps(request: RequestContext): Promise<PagingDeps> {
  return { ...runtimeAccountDeps(request), keys: { cursorKey: await request.deadline.race(cursorKey()) } };
}
