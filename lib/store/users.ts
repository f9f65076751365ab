import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EmailTakenError, ForbiddenError, UsernameTakenError } from '../shared/errors';
import type { Role } from '../shared/roles';
import { cancelledConditions, guarded, isConditionFailure, keys, putNew, userIndexKeys, USERS_INDEX, type Table } from './table';

export interface User {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  roles: Role[];
  createdAt: string;
  /** Bumped by every password or role change; sessions opened under an older one are dead. */
  credVersion: number;
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
            putNew(table, { ...keys.usernameClaim(normalizeIdentifier(user.username)), userId: user.id }),
            putNew(table, { ...keys.emailClaim(normalizeIdentifier(user.email)), userId: user.id }),
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
    if (failed?.[3]) throw new ForbiddenError('Require Admin Role!');
    if (failed?.[1]) throw new UsernameTakenError();
    if (failed?.[2]) throw new EmailTakenError();
    throw error;
  }
}

export function toUser(item: Record<string, unknown> | undefined): User | undefined {
  if (!item) return undefined;
  const { id, username, email, passwordHash, roles, createdAt, credVersion } = item as unknown as Partial<User>;
  return { id: id!, username: username!, email: email!, passwordHash: passwordHash!, roles: roles!, createdAt: createdAt!, credVersion: credVersion ?? 0 };
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
export async function findUserByUsername(table: Table, username: string): Promise<User | undefined> {
  const claim = await guarded(table, (options) =>
    table.client.send(
      new GetCommand({
        TableName: table.name,
        Key: keys.usernameClaim(normalizeIdentifier(username)),
        ConsistentRead: true,
      }),
      options,
    ),
  );
  const userId = typeof claim.Item?.userId === 'string' ? claim.Item.userId : 'no-such-user';
  const user = await getUser(table, userId);
  return claim.Item ? user : undefined;
}


/** A user as the admin list shows it: no password hash (the index does not even hold it). */
export type PublicUser = Omit<User, 'passwordHash' | 'credVersion'>;

/**
 * One page of users, oldest first, from the sparse index: DynamoDB reads only the page. The cursor is
 * DynamoDB's LastEvaluatedKey, which for this index holds only ids and creation times.
 */
export async function listUsers(
  table: Table,
  limit: number,
  startKey: Record<string, string> | undefined,
): Promise<{ users: PublicUser[]; lastKey: Record<string, string> | undefined }> {
  const result = await guarded(table, (options) =>
    table.client.send(
      new QueryCommand({
        TableName: table.name,
        IndexName: USERS_INDEX,
        KeyConditionExpression: 'gsi1pk = :user',
        ExpressionAttributeValues: { ':user': 'USER' },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
      options,
    ),
  );
  const users = (result.Items ?? []).map(({ id, username, email, roles, createdAt }) => ({ id, username, email, roles, createdAt }) as PublicUser);
  return { users, lastKey: result.LastEvaluatedKey as Record<string, string> | undefined };
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
 * however the requests interleave. False when the user does not exist.
 */
export function changeCredentials(table: Table, userId: string, fields: Partial<Pick<User, 'roles' | 'passwordHash'>>): Promise<boolean> {
  return writeProfile(table, userId, fields, { newCredentials: true });
}

async function writeProfile(
  table: Table,
  userId: string,
  fields: Partial<Pick<User, 'roles' | 'passwordHash'>>,
  options: { expectedHash?: string; newCredentials: boolean },
): Promise<boolean> {
  const entries = Object.entries(fields);
  const expected = options.expectedHash === undefined ? {} : { ':expected': options.expectedHash };
  const set = `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`;
  try {
    await guarded(table, (callOptions) =>
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: keys.user(userId),
          UpdateExpression: options.newCredentials ? `${set} ADD credVersion :one` : set,
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
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

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
