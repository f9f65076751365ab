import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys, refreshTokenIndexKeys, USERS_INDEX } from './keys';
import { deleteItems, guarded, putNew, queryAll, type Table, transact, unexpectedRefusal } from './table';

/** A refresh token as stored: never the token, only its SHA-256. */
export interface RefreshTokenRecord {
  tokenHash: string;
  userId: string;
  sessionId: string;
  createdAt: string;
  /** Epoch seconds; also the table's TTL attribute. Checked explicitly too: TTL deletion lags. */
  expiresAt: number;
  /** Set once the token has been exchanged for its successor; presenting it again is reuse. */
  rotatedAt?: string;
}

/** The item of a refresh token: looked up by hash, and indexed by user so deletion can find it. */
export function tokenItem(record: RefreshTokenRecord) {
  return {
    ...keys.refreshToken(record.tokenHash),
    ...refreshTokenIndexKeys(record.userId, record.createdAt, record.tokenHash),
    type: 'refreshToken',
    ...record,
  };
}

export async function getRefreshToken(table: Table, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: keys.refreshToken(tokenHash), ConsistentRead: true }), options),
  );
  if (!result.Item) return undefined;
  const { userId, sessionId, createdAt, expiresAt, rotatedAt } = result.Item as RefreshTokenRecord;
  return { tokenHash, userId, sessionId, createdAt, expiresAt, ...(rotatedAt ? { rotatedAt } : {}) };
}

export type RotationOutcome = 'rotated' | 'token-already-used' | 'session-revoked';

/**
 * Exchanges a refresh token for its successor in one conditional transaction: the old token is marked
 * used only if nobody marked it before, so of two concurrent refreshes exactly one wins.
 */
export async function rotateRefreshToken(table: Table, old: RefreshTokenRecord, next: RefreshTokenRecord, now: string): Promise<RotationOutcome> {
  const failed = await transact(table, [
    {
      Update: {
        TableName: table.name,
        Key: keys.refreshToken(old.tokenHash),
        UpdateExpression: 'SET rotatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rotatedAt)',
        ExpressionAttributeValues: { ':now': now },
      },
    },
    putNew(table, tokenItem(next)),
    {
      Update: {
        TableName: table.name,
        Key: keys.session(old.userId, old.sessionId),
        UpdateExpression: 'SET lastUsedAt = :now, expiresAt = :expiresAt',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':now': now, ':expiresAt': next.expiresAt },
      },
    },
  ]);
  if (failed.length === 0) return 'rotated';
  if (failed.includes(0)) return 'token-already-used';
  if (failed.includes(2)) return 'session-revoked';
  throw unexpectedRefusal(failed);
}

/**
 * Deletes every refresh token of a user (on account deletion), found through the index. The index is
 * eventually consistent: a token written in the last moment may be missed; it is dead all the same (its
 * session and user are gone) and its TTL removes it. Tokens stored before the index held them also
 * expire by TTL.
 */
export async function deleteAllRefreshTokens(table: Table, userId: string): Promise<void> {
  const found = (await queryAll(table, {
    IndexName: USERS_INDEX,
    KeyConditionExpression: 'gsi1pk = :tokens',
    ExpressionAttributeValues: { ':tokens': refreshTokenIndexKeys(userId, '', '').gsi1pk },
    ProjectionExpression: 'pk, sk',
  })) as unknown as { pk: string; sk: string }[];
  await deleteItems(
    table,
    found.map(({ pk, sk }) => ({ pk, sk })),
  );
}
