import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys, refreshTokenIndexKeys, USERS_INDEX } from './item-keys';
import { deleteItems, guarded, queryAll, type Table, transact, unexpectedRefusal } from './table';
import { credVersionIs } from './users';

/**
 * A refresh token as stored before tokens lived on their session item (lib/store/sessions.ts): one item
 * per token, keyed by its SHA-256. Still read, so tokens issued before keep working: a session's first
 * refresh moves it to the new shape (moveTokenToSession), after which its old tokens are only ever reuse.
 * No such item is written any more; they expire by TTL within REFRESH_TOKEN_TTL of the upgrade.
 */
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
    ...itemKeys.refreshToken(record.tokenHash),
    ...refreshTokenIndexKeys(record.userId, record.createdAt, record.tokenHash),
    type: 'refreshToken',
    ...record,
  };
}

export async function getRefreshToken(table: Table, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.refreshToken(tokenHash), ConsistentRead: true }), options),
  );
  if (!result.Item) return undefined;
  const { userId, sessionId, createdAt, expiresAt, rotatedAt } = result.Item as RefreshTokenRecord;
  return { tokenHash, userId, sessionId, createdAt, expiresAt, ...(rotatedAt ? { rotatedAt } : {}) };
}

export type RotationOutcome = 'rotated' | 'token-already-used' | 'session-revoked';

/**
 * The first refresh of a session from before tokens lived on the session item: exchanges its token (an
 * item of its own) for the session's first token of the new shape, in one conditional transaction. The
 * old token is marked used only if nobody marked it before, so of two concurrent refreshes exactly one
 * wins, and presenting it again is reuse as before; the session takes the new token's hash (generation
 * 0) and the credentials version it was found live under. Every later refresh is one write on the session.
 */
export async function moveTokenToSession(
  table: Table,
  old: RefreshTokenRecord,
  next: { tokenHash: string; expiresAt: number },
  credVersion: number,
  now: string,
): Promise<RotationOutcome> {
  const failed = await transact(table, [
    {
      Update: {
        TableName: table.name,
        Key: itemKeys.refreshToken(old.tokenHash),
        UpdateExpression: 'SET rotatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rotatedAt)',
        ExpressionAttributeValues: { ':now': now },
      },
    },
    {
      Update: {
        TableName: table.name,
        Key: itemKeys.session(old.userId, old.sessionId),
        UpdateExpression:
          'SET tokenHash = :next, #generation = :zero, previousTokenHashes = :none, credVersion = :version, lastUsedAt = :now, expiresAt = :expiresAt',
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(revokedAt) AND attribute_not_exists(tokenHash) AND ${credVersionIs(credVersion)}`,
        ExpressionAttributeNames: { '#generation': 'generation' },
        ExpressionAttributeValues: { ':now': now, ':next': next.tokenHash, ':zero': 0, ':none': {}, ':version': credVersion, ':expiresAt': next.expiresAt },
      },
    },
  ]);
  if (failed.length === 0) return 'rotated';
  if (failed.includes(0)) return 'token-already-used';
  if (failed.includes(1)) return 'session-revoked';
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
