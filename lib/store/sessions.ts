import { BatchGetCommand, BatchWriteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../shared/errors';
import { credentialsUnchanged, getUser, toUser, type User } from './users';
import { cancelledConditions, guarded, isConditionFailure, keys, putNew, queryAll, refreshTokenIndexKeys, USERS_INDEX, type Table } from './table';

/** A sign-in: the family of refresh tokens that rotate from it. */
export interface Session {
  userId: string;
  sessionId: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | undefined;
  ip: string | undefined;
  /** Epoch seconds; also the table's TTL attribute. Moves forward with each refresh. */
  expiresAt: number;
  revokedAt?: string;
  /** The user's credVersion when the session was opened; once the user's moves on, the session is dead. */
  credVersion: number;
}

/** A session is live while not revoked, not expired, and opened under its user's current credentials. */
export function isLive(session: Session | undefined, user: User | undefined, nowSeconds: number): session is Session {
  return Boolean(session && user && !session.revokedAt && session.expiresAt > nowSeconds && (session.credVersion ?? 0) === user.credVersion);
}

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

function tokenItem(record: RefreshTokenRecord) {
  return {
    ...keys.refreshToken(record.tokenHash),
    ...refreshTokenIndexKeys(record.userId, record.createdAt, record.tokenHash),
    type: 'refreshToken',
    ...record,
  };
}

/**
 * Stores a new session and its first refresh token together, only while the user's credentials are
 * still the version the sign-in checked (`session.credVersion`). False when they changed in between (a
 * password or role change won the race): nothing is stored.
 */
export async function createSession(table: Table, session: Session, token: RefreshTokenRecord): Promise<boolean> {
  try {
    await guarded(table, (options) =>
      table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            putNew(table, { ...keys.session(session.userId, session.sessionId), type: 'session', ...session }),
            putNew(table, tokenItem(token)),
            credentialsUnchanged(table, session.userId, session.credVersion),
          ],
        }),
        options,
      ),
    );
    return true;
  } catch (error) {
    if (cancelledConditions(error)?.[2]) return false;
    throw error;
  }
}

export async function getRefreshToken(table: Table, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(
      new GetCommand({ TableName: table.name, Key: keys.refreshToken(tokenHash), ConsistentRead: true }),
      options,
    ),
  );
  if (!result.Item) return undefined;
  const { userId, sessionId, createdAt, expiresAt, rotatedAt } = result.Item as RefreshTokenRecord;
  return { tokenHash, userId, sessionId, createdAt, expiresAt, ...(rotatedAt ? { rotatedAt } : {}) };
}

/** The session and its user in one round trip. */
export async function getSessionWithUser(
  table: Table,
  userId: string,
  sessionId: string,
): Promise<{ session: Session | undefined; user: User | undefined }> {
  const sessionKey = keys.session(userId, sessionId);
  const result = await guarded(table, (options) =>
    table.client.send(
      new BatchGetCommand({
        RequestItems: { [table.name]: { Keys: [sessionKey, keys.user(userId)], ConsistentRead: true } },
      }),
      options,
    ),
  );
  const items = result.Responses?.[table.name] ?? [];
  // A BatchGet may leave keys unprocessed under load; fall back to a plain read rather than guess.
  if (result.UnprocessedKeys?.[table.name]?.Keys?.length) {
    const [session, user] = await Promise.all([
      guarded(table, (options) => table.client.send(new GetCommand({ TableName: table.name, Key: sessionKey, ConsistentRead: true }), options)),
      getUser(table, userId),
    ]);
    return { session: session.Item as Session | undefined, user };
  }
  const session = items.find((item) => item.sk === sessionKey.sk) as Session | undefined;
  const userItem = items.find((item) => item.sk === 'PROFILE');
  return { session, user: toUser(userItem) };
}

export type RotationOutcome = 'rotated' | 'token-already-used' | 'session-revoked';

/**
 * Exchanges a refresh token for its successor in one conditional transaction: the old token is marked
 * used only if nobody marked it before, so of two concurrent refreshes exactly one wins.
 */
export async function rotateRefreshToken(
  table: Table,
  old: RefreshTokenRecord,
  next: RefreshTokenRecord,
  now: string,
): Promise<RotationOutcome> {
  try {
    await guarded(table, (options) =>
      table.client.send(
        new TransactWriteCommand({
          TransactItems: [
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
          ],
        }),
        options,
      ),
    );
    return 'rotated';
  } catch (error) {
    const failed = cancelledConditions(error);
    if (failed?.[0]) return 'token-already-used';
    if (failed?.[2]) return 'session-revoked';
    throw error;
  }
}

/** Applies an update to a session only while it exists and is not revoked; false otherwise. */
async function updateLiveSession(
  table: Table,
  userId: string,
  sessionId: string,
  updateExpression: string,
  now: string,
): Promise<boolean> {
  try {
    await guarded(table, (options) =>
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: keys.session(userId, sessionId),
          UpdateExpression: updateExpression,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':now': now },
        }),
        options,
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Records use of a session whose refresh token is not rotated (REFRESH_ROTATION=off). */
export function touchSession(table: Table, userId: string, sessionId: string, now: string): Promise<boolean> {
  return updateLiveSession(table, userId, sessionId, 'SET lastUsedAt = :now', now);
}

/**
 * Marks a session revoked: every refresh token of its family stops working, and the authorizer refuses
 * its access tokens once its cache entry lapses. False when there was no live session to revoke.
 */
export function revokeSession(table: Table, userId: string, sessionId: string, now: string): Promise<boolean> {
  return updateLiveSession(table, userId, sessionId, 'SET revokedAt = :now', now);
}

/** All of a user's session items, revoked and expired ones included (a user has few). */
export async function listSessionItems(table: Table, userId: string): Promise<Session[]> {
  return (await queryAll(table, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.user(userId).pk, ':prefix': 'SESSION#' },
    ConsistentRead: true,
  })) as unknown as Session[];
}

/** Revokes every live session of a user; returns how many were live. */
export async function revokeAllSessions(table: Table, userId: string, now: string): Promise<number> {
  const live = (await listSessionItems(table, userId)).filter((session) => !session.revokedAt);
  const revoked = await Promise.all(live.map((session) => revokeSession(table, userId, session.sessionId, now)));
  return revoked.filter(Boolean).length;
}

/** Deletes every session item of a user (on account deletion); their refresh tokens then find no session. */
export async function deleteAllSessions(table: Table, userId: string): Promise<void> {
  const sessions = await listSessionItems(table, userId);
  await deleteItems(table, sessions.map((session) => keys.session(userId, session.sessionId)));
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
  await deleteItems(table, found.map(({ pk, sk }) => ({ pk, sk })));
}

/** Deletes items by key, 25 per BatchWriteItem. */
async function deleteItems(table: Table, itemKeys: Record<string, string>[]): Promise<void> {
  for (let i = 0; i < itemKeys.length; i += 25) {
    let requests: Record<string, unknown>[] | undefined = itemKeys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    // BatchWrite may hand back unprocessed items under load; retry them a few times, then fail loudly.
    for (let attempt = 0; requests?.length && attempt < 5; attempt++) {
      const result = await guarded(table, (options) =>
        table.client.send(new BatchWriteCommand({ RequestItems: { [table.name]: requests as never } }), options),
      );
      requests = result.UnprocessedItems?.[table.name] as Record<string, unknown>[] | undefined;
    }
    if (requests?.length) throw new ServiceUnavailableError();
  }
}
