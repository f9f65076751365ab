import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EmailTakenError, ForbiddenError, UsernameTakenError } from '../shared/errors';
import type { Role } from '../shared/roles';
import { claimIndexKeys, keys, userIndexKeys } from './keys';
import { cancelledConditions, conditionally, guarded, putNew, type Table } from './table';
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
 * ForbiddenError when the granting user is no admin.
 */
export async function createUser(table: Table, user: User, grantedBy?: string): Promise<void> {
  try {
    await guarded(table, (options) =>
      table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            putNew(table, { ...keys.user(user.id), ...userIndexKeys(user.createdAt, user.id), type: 'user', ...user }),
            putNew(table, claimItem(keys.usernameClaim(normalizeIdentifier(user.username)), normalizeIdentifier(user.username), user.id)),
            putNew(table, claimItem(keys.emailClaim(normalizeIdentifier(user.email)), normalizeIdentifier(user.email), user.id)),
            ...(grantedBy === undefined
              ? []
              : [
                  {
                    ConditionCheck: {
                      TableName: table.name,
                      Key: keys.user(grantedBy),
                      ConditionExpression: 'contains(#roles, :admin)',
                      ExpressionAttributeNames: { '#roles': 'roles' },
                      ExpressionAttributeValues: { ':admin': 'admin' },
                    },
                  },
                ]),
          ],
        }),
        options,
      ),
    );
  } catch (error) {
    const failed = cancelledConditions(error);
    if (failed?.[3]) throw new ForbiddenError(MESSAGES.roleRequired.admin);
    if (failed?.[1]) throw new UsernameTakenError();
    if (failed?.[2]) throw new EmailTakenError();
    throw error;
  }
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
    table.client.send(new GetCommand({ TableName: table.name, Key: keys.user(userId), ConsistentRead: true }), options),
  );
  return toUser(result.Item);
}

/**
 * Finds a user by username, case-insensitively. Always makes two reads, also for an unknown name, so
 * the database round trips do not tell an unknown user from a known one.
 */
export function findUserByUsername(table: Table, username: string): Promise<User | undefined> {
  return findUserByClaim(table, keys.usernameClaim(normalizeIdentifier(username)));
}

/** Finds a user by email address, case-insensitively, the same way (two reads whatever is found). */
export function findUserByEmail(table: Table, email: string): Promise<User | undefined> {
  return findUserByClaim(table, keys.emailClaim(normalizeIdentifier(email)));
}

async function findUserByClaim(table: Table, claimKey: { pk: string; sk: string }): Promise<User | undefined> {
  const claim = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: claimKey, ConsistentRead: true }), options),
  );
  const userId = typeof claim.Item?.userId === 'string' ? claim.Item.userId : 'no-such-user';
  const user = await getUser(table, userId);
  return claim.Item ? user : undefined;
}

/**
 * Deletes a user's profile and both claims in one transaction, so a name is never claimed without its
 * user nor a user left without its claims; the claims are deleted only if they still point at this user.
 * False when the user was already gone.
 */
export async function deleteUserRecord(table: Table, user: User): Promise<boolean> {
  try {
    await guarded(table, (options) =>
      table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: table.name, Key: keys.user(user.id), ConditionExpression: 'attribute_exists(pk)' } },
            {
              Delete: {
                TableName: table.name,
                Key: keys.usernameClaim(normalizeIdentifier(user.username)),
                ConditionExpression: 'userId = :id',
                ExpressionAttributeValues: { ':id': user.id },
              },
            },
            {
              Delete: {
                TableName: table.name,
                Key: keys.emailClaim(normalizeIdentifier(user.email)),
                ConditionExpression: 'userId = :id',
                ExpressionAttributeValues: { ':id': user.id },
              },
            },
          ],
        }),
        options,
      ),
    );
    return true;
  } catch (error) {
    if (cancelledConditions(error)?.some(Boolean)) return false;
    throw error;
  }
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
 * Changes what a user signs in with or is allowed to do (password, roles) and bumps `credVersion` in
 * the same write. Every session records the version it was opened under, and the authorizer, refresh
 * and session creation all compare it: so no session opened before, or racing, this write survives it,
 * however the requests interleave. The same write spends the user's live reset link (RESET_POINTER),
 * so a link mailed before the change cannot undo it. False when the user does not exist.
 */
export function changeCredentials(table: Table, userId: string, fields: Partial<Pick<User, 'roles' | 'passwordHash'>>): Promise<boolean> {
  return writeProfile(table, userId, fields, { newCredentials: true });
}

function writeProfile(
  table: Table,
  userId: string,
  fields: Partial<Pick<User, 'roles' | 'passwordHash'>>,
  options: { expectedHash?: string; newCredentials: boolean },
): Promise<boolean> {
  const entries = Object.entries(fields);
  const expected = options.expectedHash === undefined ? {} : { ':expected': options.expectedHash };
  const set = `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`;
  return conditionally(table, (callOptions) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.user(userId),
        UpdateExpression: options.newCredentials ? `${set} ${CREDENTIALS_CHANGED}` : set,
        ConditionExpression: options.expectedHash === undefined ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND passwordHash = :expected',
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
      Key: keys.user(userId),
      ConditionExpression:
        credVersion === 0 ? 'attribute_exists(pk) AND (attribute_not_exists(credVersion) OR credVersion = :version)' : 'credVersion = :version',
      ExpressionAttributeValues: { ':version': credVersion },
    },
  };
}
