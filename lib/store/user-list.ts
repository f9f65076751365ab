import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BadRequestError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { openCursor, sealCursor } from './cursor';
import { userIndexKeys, USERS_INDEX } from './keys';
import { guarded, type Table } from './table';
import type { User } from './users';

/** A user as the admin list shows it: no password hash (the index does not even hold it). */
export type PublicUser = Omit<User, 'passwordHash' | 'credVersion'>;

/**
 * One page of users, oldest first, from the sparse index: DynamoDB reads only the page. The cursor is
 * DynamoDB's LastEvaluatedKey (for this index only ids and creation times), sealed (./cursor.ts) with
 * `secret`; one the service did not issue is a 400 before any query.
 */
export async function listUsers(
  table: Table,
  limit: number,
  cursor: string | undefined,
  secret: Uint8Array,
): Promise<{ users: PublicUser[]; nextCursor: string | null }> {
  const startKey = cursor === undefined ? undefined : userListPosition(openCursor(cursor, secret));
  const result = await guarded(table, (options) =>
    table.client.send(
      new QueryCommand({
        TableName: table.name,
        IndexName: USERS_INDEX,
        KeyConditionExpression: 'gsi1pk = :user',
        ExpressionAttributeValues: { ':user': userIndexKeys('', '').gsi1pk },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
      options,
    ),
  );
  const users = (result.Items ?? []).map(
    ({ id, username, email, roles, createdAt, mfaEnabled, emailVerified }) =>
      ({ id, username, email, roles, createdAt, mfaEnabled: mfaEnabled === true, emailVerified: emailVerified === true }) as PublicUser,
  );
  return { users, nextCursor: result.LastEvaluatedKey ? sealCursor(result.LastEvaluatedKey, secret) : null };
}

/** A position in the user list, as this index's LastEvaluatedKey has it: four strings, partition USER. */
function userListPosition(position: unknown): Record<string, string> {
  const names = ['gsi1pk', 'gsi1sk', 'pk', 'sk'];
  const entries = typeof position === 'object' && position !== null && !Array.isArray(position) ? Object.entries(position) : [];
  const valid =
    entries.length === names.length &&
    entries.every(([name, value]) => names.includes(name) && typeof value === 'string') &&
    (position as Record<string, string>).gsi1pk === userIndexKeys('', '').gsi1pk;
  if (!valid) throw new BadRequestError(MESSAGES.cursorInvalid);
  return position as Record<string, string>;
}
