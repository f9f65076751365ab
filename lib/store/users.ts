import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EmailTakenError, ForbiddenError, ServiceUnavailableError, UsernameTakenError } from '../shared/errors';
import type { Role } from '../shared/roles';
import { claimIndexKeys, itemKeys, userIndexKeys } from './item-keys';
import { conditionally, guarded, isTransactionConflict, putNew, type Table, transact, unexpectedRefusal } from './table';
import { MESSAGES } from '../shared/messages';

export interface User {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  roles: Role[];
  createdAt: string;
  /** Bumped by every password or role change; sessions opened under an older one are dead. */
  credVersion: number;
  /** A second factor (TOTP) is required at sign-in. */
  mfaEnabled: boolean;
  /** The owner proved the address by spending a token mailed to it (users from before this: false). */
  emailVerified: boolean;
}

/**
 * The uniqueness key of a username or email: Unicode NFKC (so look-alike compositions collapse) and
 * lower case. Input validation already limits usernames to ASCII; this is the belt to those braces.
 */
export function normalizeIdentifier(value: string): string {
  return value.normalize('NFKC').toLowerCase();
}

/**
 * Stores a new user with its username and email claims in one transaction: the database, not a
 * read-then-write check, makes both unique. With `grantedBy` (an admin granting roles at sign-up), the
 * same transaction checks that this user is, as stored right now, an admin: a token whose roles were
 * taken away a moment ago grants nothing. Throws UsernameTakenError, EmailTakenError, or
 * ForbiddenError when the granting user is no admin. `alongside` items are written in the same transaction.
 */
export async function createUser(table: Table, user: User, grantedBy?: string, alongside: Record<string, unknown>[] = []): Promise<void> {
  const failed = await transact(table, [
    putNew(table, { ...itemKeys.user(user.id), ...userIndexKeys(user.createdAt, user.id), type: 'user', ...user }),
    putNew(table, claimItem(itemKeys.usernameClaim(normalizeIdentifier(user.username)), normalizeIdentifier(user.username), user.id)),
    putNew(table, claimItem(itemKeys.emailClaim(normalizeIdentifier(user.email)), normalizeIdentifier(user.email), user.id)),
    ...(grantedBy === undefined ? [] : [holdsAdminRole(table, grantedBy)]),
    ...(user.roles.includes('admin') ? [rosterChange(table, user.id, true)] : []),
    // Items that come with this user or not at all (a federated sign-up's identity and its claim).
    ...alongside,
  ]);
  if (failed.length === 0) return;
  if (grantedBy !== undefined && failed.includes(3)) throw new ForbiddenError(MESSAGES.roleRequired.admin);
  if (failed.includes(1)) throw new UsernameTakenError();
  if (failed.includes(2)) throw new EmailTakenError();
  throw unexpectedRefusal(failed);
}

/** A transaction's check that a user, as stored right now, holds the admin role. */
function holdsAdminRole(table: Table, userId: string) {
  return {
    ConditionCheck: {
      TableName: table.name,
      Key: itemKeys.user(userId),
      ConditionExpression: 'contains(#roles, :admin)',
      ExpressionAttributeNames: { '#roles': 'roles' },
      ExpressionAttributeValues: { ':admin': 'admin' },
    },
  };
}

/** A username or email claim: unique by its key, and found by prefix through the names index. */
export function claimItem(key: { pk: string; sk: string }, normalizedValue: string, userId: string) {
  return { ...key, ...claimIndexKeys(normalizedValue, userId), userId };
}

export function toUser(item: Record<string, unknown> | undefined): User | undefined {
  if (!item) return undefined;
  // Profiles stored before credentials versions existed have none: version 0.
  const { id, username, email, passwordHash, roles, createdAt, credVersion, mfaEnabled, emailVerified } = item as Omit<
    User,
    'credVersion' | 'mfaEnabled' | 'emailVerified'
  > & { credVersion?: number; mfaEnabled?: boolean; emailVerified?: boolean };
  return {
    id,
    username,
    email,
    passwordHash,
    roles,
    createdAt,
    credVersion: credVersion ?? 0,
    mfaEnabled: mfaEnabled === true,
    emailVerified: emailVerified === true,
  };
}

export async function getUser(table: Table, userId: string): Promise<User | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.user(userId), ConsistentRead: true }), options),
  );
  return toUser(result.Item);
}

/**
 * Finds a user by username, case-insensitively. Always makes two reads, also for an unknown name, so
 * the database round trips do not tell an unknown user from a known one.
 */
export function findUserByUsername(table: Table, username: string): Promise<User | undefined> {
  return findUserByClaim(table, itemKeys.usernameClaim(normalizeIdentifier(username)));
}

/**
 * Whether a sign-in name is an email address: it holds an '@', which no username may (sign-up refuses
 * it). The two kinds of name are told apart by this alone, never by trying one claim and then the other,
 * so one account's username can never shadow another account's email (nor the reverse).
 */
export function isEmailSignInName(identifier: string): boolean {
  return identifier.includes('@');
}

/**
 * Finds the user a sign-in name names: by the email claim for a name with an '@', else by the username
 * claim. The same two reads either way and whatever is found (findUserByClaim).
 */
export function findUserBySignInName(table: Table, identifier: string): Promise<User | undefined> {
  return isEmailSignInName(identifier) ? findUserByEmail(table, identifier) : findUserByUsername(table, identifier);
}

/** Finds a user by email address, case-insensitively, the same way (two reads whatever is found). */
export function findUserByEmail(table: Table, email: string): Promise<User | undefined> {
  return findUserByClaim(table, itemKeys.emailClaim(normalizeIdentifier(email)));
}

async function findUserByClaim(table: Table, claimKey: { pk: string; sk: string }): Promise<User | undefined> {
  const claim = await guarded(table, (options) => table.client.send(new GetCommand({ TableName: table.name, Key: claimKey, ConsistentRead: true }), options));
  const userId = typeof claim.Item?.userId === 'string' ? claim.Item.userId : 'no-such-user';
  const user = await getUser(table, userId);
  return claim.Item ? user : undefined;
}

/** What a write that may take an admin away answers: done, no such user, or refused (the last admin). */
export type AdminGuardedOutcome = 'done' | 'not-found' | 'last-admin';

/**
 * The admin roster's part of a transaction that makes a user an admin (`admin` true: an idempotent
 * ADD) or takes the admin role away (a DELETE only while another admin stays in the set). Every write
 * of a profile's admin role carries it, so the roster and the profiles change together.
 */
function rosterChange(table: Table, userId: string, admin: boolean) {
  return {
    Update: {
      TableName: table.name,
      Key: itemKeys.adminRoster(),
      ...(admin
        ? { UpdateExpression: 'ADD ids :id', ExpressionAttributeValues: { ':id': new Set([userId]) } }
        : {
            UpdateExpression: 'DELETE ids :id',
            // Absent roster (a table from before it, not yet migrated): refused, never open.
            ConditionExpression: 'contains(ids, :userId) AND size(ids) > :one',
            ExpressionAttributeValues: { ':id': new Set([userId]), ':userId': userId, ':one': 1 },
          }),
    },
  };
}

/**
 * The condition that an item (a profile, or a session under its user's credentials) is at credentials
 * version `:version`: items written before versions existed have none, which counts as 0. The one copy of
 * this rule; the caller binds `:version` to `credVersion`.
 */
export function credVersionIs(credVersion: number): string {
  return credVersion === 0 ? '(attribute_not_exists(credVersion) OR credVersion = :version)' : 'credVersion = :version';
}

/** The profile is still as it was read (same credentials version: roles, password and MFA unchanged). */
function unchangedSince(user: Pick<User, 'credVersion'>) {
  return {
    ConditionExpression: `attribute_exists(pk) AND ${credVersionIs(user.credVersion)}`,
    values: { ':version': user.credVersion },
  };
}

/**
 * A transaction built from the user as read just now, retried (read again) when the profile changed in
 * between or another transaction touched the same items at once. `roster` is the index of the roster's
 * item in it, when there is one: its condition failing means the last admin.
 */
async function guardedAdminWrite<Outcome extends string = never>(
  table: Table,
  userId: string,
  build: (user: User) => { items: Record<string, unknown>[]; roster: number | undefined } | NoInfer<Outcome>,
): Promise<AdminGuardedOutcome | Outcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const user = await getUser(table, userId);
    if (!user) return 'not-found';
    const built = build(user);
    // The builder's own answer for the profile as read (a self-deletion's credentials changed since).
    if (typeof built === 'string') return built;
    const { items, roster } = built;
    let failed: number[];
    try {
      failed = await transact(table, items);
    } catch (error) {
      // Another transaction touched the same items at once: read again and decide again.
      if (isTransactionConflict(error)) continue;
      throw error;
    }
    if (failed.length === 0) return 'done';
    if (roster !== undefined && failed.includes(roster)) return 'last-admin';
    // The profile changed since it was read: read again and decide again.
    if (failed.includes(0)) continue;
    // A claim that no longer points at this user: not this user's to delete.
    return 'not-found';
  }
  throw new ServiceUnavailableError();
}

/**
 * Replaces a user's roles, bumping the credentials version (CREDENTIALS_CHANGED: every session ends, the
 * reset link dies) in the same transaction as the admin roster's change, so no interleaving of requests
 * (two admins demoting each other at once included) leaves no admin: the write that would remove the
 * last one is refused ('last-admin'), and nothing changes.
 */
export function changeRoles(table: Table, userId: string, roles: Role[]): Promise<AdminGuardedOutcome> {
  return guardedAdminWrite(table, userId, (user) => {
    const wasAdmin = user.roles.includes('admin');
    const admin = roles.includes('admin');
    const { ConditionExpression, values } = unchangedSince(user);
    const profile = {
      Update: {
        TableName: table.name,
        Key: itemKeys.user(userId),
        UpdateExpression: `SET #roles = :roles ${CREDENTIALS_CHANGED}`,
        ConditionExpression,
        ExpressionAttributeNames: { '#roles': 'roles' },
        ExpressionAttributeValues: { ':roles': roles, ':one': 1, ...values },
      },
    };
    // An admin staying one is added again (idempotent): that also enrols admins from before the roster.
    if (!wasAdmin && !admin) return { items: [profile], roster: undefined };
    return { items: [profile, rosterChange(table, userId, admin)], roster: 1 };
  });
}

/** What enrolling an admin found: put on the roster now, on it already, or no (longer an) admin. */
export type EnrolOutcome = 'enrolled' | 'on-roster' | 'not-admin';

/**
 * Puts an existing admin on the roster (a table from before it: the local start, `admin:create`, the
 * migration), only while its profile holds the admin role, so a demotion racing this is never undone.
 * An admin on the roster already is not written again (the migration's second run changes nothing).
 */
export async function enrolAdmin(table: Table, userId: string): Promise<EnrolOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let failed: number[];
    try {
      failed = await transact(table, [
        holdsAdminRole(table, userId),
        {
          Update: {
            TableName: table.name,
            Key: itemKeys.adminRoster(),
            UpdateExpression: 'ADD ids :id',
            ConditionExpression: 'attribute_not_exists(ids) OR NOT contains(ids, :userId)',
            ExpressionAttributeValues: { ':id': new Set([userId]), ':userId': userId },
          },
        },
      ]);
    } catch (error) {
      // A role change of this user, or another enrolment, at the same moment: try again, then decide.
      if (isTransactionConflict(error)) continue;
      throw error;
    }
    if (failed.includes(0)) return 'not-admin';
    if (failed.includes(1)) return 'on-roster';
    return 'enrolled';
  }
  throw new ServiceUnavailableError();
}

/** The ids on the admin roster, read consistently (empty for a table from before it). */
export async function adminRosterIds(table: Table): Promise<Set<string>> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.adminRoster(), ConsistentRead: true }), options),
  );
  const ids = result.Item?.ids;
  return ids instanceof Set ? new Set([...ids].map(String)) : new Set();
}

/**
 * Deletes a user's profile and both claims in one transaction, so a name is never claimed without its
 * user nor a user left without its claims; the claims are deleted only if they still point at this user.
 * An admin leaves the roster in the same transaction, which is refused for the last one ('last-admin').
 * With `checkedVersion` (the version of the profile whose password the user checked: deleting their own
 * account), only while the credentials are still that version: a password, reset, role or MFA change
 * committed since answers 'changed' and nothing is deleted.
 */
export function deleteUserRecord(table: Table, userId: string, checkedVersion?: number): Promise<AdminGuardedOutcome | 'changed'> {
  return guardedAdminWrite<'changed'>(table, userId, (user) => {
    if (checkedVersion !== undefined && user.credVersion !== checkedVersion) return 'changed';
    const { ConditionExpression, values } = unchangedSince(user);
    // The address too: an email change spent in between moves the claim without a version bump, and the
    // claim's delete would fail on it (answered as if the user were gone); this way the profile's
    // condition fails first, and the deletion is read again and retried.
    const items = [
      {
        Delete: {
          TableName: table.name,
          Key: itemKeys.user(user.id),
          ConditionExpression: `${ConditionExpression} AND email = :email`,
          ExpressionAttributeValues: { ...values, ':email': user.email },
        },
      },
      ...[itemKeys.usernameClaim(normalizeIdentifier(user.username)), itemKeys.emailClaim(normalizeIdentifier(user.email))].map((Key) => ({
        Delete: { TableName: table.name, Key, ConditionExpression: 'userId = :id', ExpressionAttributeValues: { ':id': user.id } },
      })),
    ];
    if (!user.roles.includes('admin')) return { items, roster: undefined };
    return { items: [...items, rosterChange(table, user.id, false)], roster: items.length };
  });
}

/**
 * Re-hashes a user's password at a new cost (same password): only while the stored hash is still
 * `expectedHash`, so it never overwrites a password changed in the meantime. Not a credentials change:
 * sessions live on. False when the user is gone or the hash changed.
 */
export function updateProfile(table: Table, userId: string, fields: Pick<User, 'passwordHash'>, expectedHash: string): Promise<boolean> {
  return writeProfile(table, userId, fields, { expectedHash, newCredentials: false });
}

/**
 * Changes what a user signs in with (the password; roles: changeRoles, which keeps the admin roster) and bumps `credVersion` in
 * the same write. Every session records the version it was opened under, and the authorizer, refresh
 * and session creation all compare it: so no session opened before, or racing, this write survives it,
 * however the requests interleave. The same write spends the user's live reset link (RESET_POINTER),
 * so a link mailed before the change cannot undo it. With `checkedVersion` (the version of the profile
 * whose password the caller checked), only while the credentials are still that version: of two changes
 * checked against one password at once, one wins. False when the user does not exist or (with
 * `checkedVersion`) its credentials changed since.
 */
export function changeCredentials(table: Table, userId: string, fields: Pick<User, 'passwordHash'>, checkedVersion?: number): Promise<boolean> {
  return writeProfile(table, userId, fields, { newCredentials: true, ...(checkedVersion === undefined ? {} : { checkedVersion }) });
}

function writeProfile(
  table: Table,
  userId: string,
  fields: Partial<Pick<User, 'roles' | 'passwordHash'>>,
  options: { expectedHash?: string; checkedVersion?: number; newCredentials: boolean },
): Promise<boolean> {
  const entries = Object.entries(fields);
  const unchanged = options.checkedVersion === undefined ? undefined : unchangedSince({ credVersion: options.checkedVersion });
  const conditions = [
    'attribute_exists(pk)',
    ...(options.expectedHash === undefined ? [] : ['passwordHash = :expected']),
    ...(unchanged ? [`(${unchanged.ConditionExpression})`] : []),
  ];
  const expected = { ...(options.expectedHash === undefined ? {} : { ':expected': options.expectedHash }), ...unchanged?.values };
  const set = `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`;
  return conditionally(table, (callOptions) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.user(userId),
        UpdateExpression: options.newCredentials ? `${set} ${CREDENTIALS_CHANGED}` : set,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
          ...expected,
          ...(options.newCredentials ? { ':one': 1 } : {}),
        },
      }),
      callOptions,
    ),
  );
}

/**
 * The profile attribute naming the user's one live reset token (lib/store/email-tokens.ts): a reset is
 * accepted only while it points at the token spent.
 */
export const RESET_POINTER = 'resetTokenHash';

/**
 * What every change of credentials does to the profile besides the change itself (password, reset,
 * roles, MFA on or off): the version bump that ends every session, and the end of the live reset link
 * (its pointer removed in the same write, so a reset racing the change loses: it is conditioned on it).
 * Needs `:one` = 1 among the expression's values.
 */
export const CREDENTIALS_CHANGED = `REMOVE ${RESET_POINTER} ADD credVersion :one`;

/**
 * The condition that a user's credentials are still at `credVersion`, for a transaction that must not
 * commit once they changed (opening a session). Users stored before versions existed have none: 0.
 */
export function credentialsUnchanged(table: Table, userId: string, credVersion: number) {
  return {
    ConditionCheck: {
      TableName: table.name,
      Key: itemKeys.user(userId),
      ConditionExpression: `attribute_exists(pk) AND ${credVersionIs(credVersion)}`,
      ExpressionAttributeValues: { ':version': credVersion },
    },
  };
}
