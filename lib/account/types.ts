import type { PublicKeys } from '../access/keys';
import type { IssuingKeys } from '../access/signing-keys';
import type { MailQueue } from '../email/queue';
import type { Config } from '../shared/config';
import type { Table } from '../store/table';

/** What the account operations need, passed in so tests can give their own table and clock. */
export interface AccountDeps {
  table: Table;
  now: () => Date;
  /** Where the request came from: recorded with the security events it causes. */
  client: ClientInfo;
  config: Pick<
    Config,
    | 'accessTokenTtlSeconds'
    | 'refreshTokenTtlSeconds'
    | 'refreshRotation'
    | 'bcryptCost'
    | 'issuer'
    | 'audience'
    | 'lockoutThreshold'
    | 'lockoutIpThreshold'
    | 'lockoutWindowSeconds'
    | 'mfaIssuer'
    | 'eventsTtlSeconds'
    | 'requireVerifiedEmail'
    | 'emailIpThreshold'
    | 'emailIpWindowSeconds'
    | 'signupIpThreshold'
    | 'signupIpWindowSeconds'
    | 'authCookie'
  >;
}

/**
 * What issuing tokens needs on top: the signing key (sign-in, refresh, MFA verify). Each function gets
 * only the key parts it may read (lib/account/deps.ts; docs/deploy.md, "Keys"), so `keys` is typed per use.
 */
export interface SessionDeps extends AccountDeps {
  keys: IssuingKeys;
}

/** What enrolling an authenticator needs on top: the data key that seals its secret. */
export interface MfaDeps extends AccountDeps {
  keys: { dataKey: Uint8Array };
}

/** Completing an MFA sign-in: the mfaToken verified, the sealed secret opened, the session's tokens signed. */
export interface SecondFactorDeps extends AccountDeps {
  keys: IssuingKeys & Pick<PublicKeys, 'verifiers'> & { dataKey: Uint8Array };
}

/** What paged lists need on top: the HMAC key their cursors are signed with. */
export interface PagingDeps extends AccountDeps {
  keys: { cursorKey: Uint8Array };
}

/**
 * What operations that cause mail need on top: the queue of the mailer function. Apart, so functions
 * that never mail do not bundle the Lambda client.
 */
export interface MailingDeps extends AccountDeps {
  mail: MailQueue;
}

/** The account dependencies over a table, with the real clock: scripts, tests and the runtime alike. */
export function accountDeps(table: Table, config: AccountDeps['config'], client: ClientInfo = NO_CLIENT): AccountDeps {
  return { table, now: () => new Date(), config, client };
}

/** Scripts and tests act from no client. */
export const NO_CLIENT: ClientInfo = { userAgent: undefined, ip: undefined };

/** Where a sign-in came from, kept on the session for the user's own session list. */
export interface ClientInfo {
  userAgent: string | undefined;
  ip: string | undefined;
}
