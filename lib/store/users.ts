import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EmailTakenError, UsernameTakenError } from '../errors';
import type { Role } from '../roles';
import { cancelledConditions, guarded, isConditionFailure, keys, putNew, userIndexKeys, USERS_INDEX, type Table } from './table';

export interface User {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  roles: Role[];
  createdAt: string;
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
 * read-then-write check, makes both unique. Throws UsernameTakenError or EmailTakenError.
 */
export async function createUser(table: Table, user: User): Promise<void> {
  try {
    await guarded(() =>
      table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            putNew(table, { ...keys.user(user.id), ...userIndexKeys(user.createdAt, user.id), type: 'user', ...user }),
            putNew(table, { ...keys.usernameClaim(normalizeIdentifier(user.username)), userId: user.id }),
            putNew(table, { ...keys.emailClaim(normalizeIdentifier(user.email)), userId: user.id }),
          ],
        }),
      ),
    );
  } catch (error) {
    const failed = cancelledConditions(error);
    if (failed?.[1]) throw new UsernameTakenError();
    if (failed?.[2]) throw new EmailTakenError();
    throw error;
  }
}

export function toUser(item: Record<string, unknown> | undefined): User | undefined {
  if (!item) return undefined;
  const { id, username, email, passwordHash, roles, createdAt } = item as unknown as User;
  return { id, username, email, passwordHash, roles, createdAt };
}

export async function getUser(table: Table, userId: string): Promise<User | undefined> {
  const result = await guarded(() =>
    table.client.send(new GetCommand({ TableName: table.name, Key: keys.user(userId), ConsistentRead: true })),
  );
  return toUser(result.Item);
}

/**
 * Finds a user by username, case-insensitively. Always makes two reads, also for an unknown name, so
 * the database round trips do not tell an unknown user from a known one.
 */
export async function findUserByUsername(table: Table, username: string): Promise<User | undefined> {
  const claim = await guarded(() =>
    table.client.send(
      new GetCommand({
        TableName: table.name,
        Key: keys.usernameClaim(normalizeIdentifier(username)),
        ConsistentRead: true,
      }),
    ),
  );
  const userId = typeof claim.Item?.userId === 'string' ? claim.Item.userId : 'no-such-user';
  const user = await getUser(table, userId);
  return claim.Item ? user : undefined;
}


/** A user as the admin list shows it: no password hash (the index does not even hold it). */
export type PublicUser = Omit<User, 'passwordHash'>;

/**
 * One page of users, oldest first, from the sparse index: DynamoDB reads only the page. The cursor is
 * DynamoDB's LastEvaluatedKey, which for this index holds only ids and creation times.
 */
export async function listUsers(
  table: Table,
  limit: number,
  startKey: Record<string, string> | undefined,
): Promise<{ users: PublicUser[]; lastKey: Record<string, string> | undefined }> {
  const result = await guarded(() =>
    table.client.send(
      new QueryCommand({
        TableName: table.name,
        IndexName: USERS_INDEX,
        KeyConditionExpression: 'gsi1pk = :user',
        ExpressionAttributeValues: { ':user': 'USER' },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
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
    await guarded(() =>
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
      ),
    );
    return true;
  } catch (error) {
    if (cancelledConditions(error)?.some(Boolean)) return false;
    throw error;
  }
}


/**
 * Sets fields of an existing user's profile; false when the user does not exist, or when
 * `onlyIfPasswordHash` is given and the stored hash is no longer that one (a re-hash at sign-in never
 * overwrites a password changed in the meantime).
 */
export async function updateProfile(
  table: Table,
  userId: string,
  fields: Partial<Pick<User, 'roles' | 'passwordHash'>>,
  onlyIfPasswordHash?: string,
): Promise<boolean> {
  const entries = Object.entries(fields);
  const expected = onlyIfPasswordHash === undefined ? {} : { ':expected': onlyIfPasswordHash };
  try {
    await guarded(() =>
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: keys.user(userId),
          UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
          ConditionExpression: onlyIfPasswordHash === undefined ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND passwordHash = :expected',
          ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
          ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])), ...expected },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
