import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EmailTakenError, UsernameTakenError } from '../errors';
import type { Role } from '../roles';
import { cancelledConditions, guarded, isConditionFailure, keys, type Table } from './table';

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
            {
              Put: {
                TableName: table.name,
                Item: { ...keys.user(user.id), type: 'user', ...user },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: table.name,
                Item: { ...keys.usernameClaim(normalizeIdentifier(user.username)), userId: user.id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: table.name,
                Item: { ...keys.emailClaim(normalizeIdentifier(user.email)), userId: user.id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
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

/** Replaces a user's roles; false when the user does not exist. */
export async function setUserRoles(table: Table, userId: string, roles: Role[]): Promise<boolean> {
  try {
    await guarded(() =>
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: keys.user(userId),
          UpdateExpression: 'SET #roles = :roles',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#roles': 'roles' },
          ExpressionAttributeValues: { ':roles': roles },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
