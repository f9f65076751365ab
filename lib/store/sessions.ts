import type { AuthMethods } from '../access/tokens';
import { BatchGetCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './item-keys';
import { LIVE_SESSION_CONDITION } from './live-session';
import { conditionally, deleteItems, guarded, isConditionFailure, putNew, queryAll, type Table, transact, unexpectedRefusal } from './table';
import { credentialsUnchanged, getUser, toUser, type User } from './users';

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
  /** How the sign-in was authenticated (RFC 8176); absent on sessions from before MFA: a password. */
  amr?: AuthMethods;
  /**
   * The SHA-256 of the session's current refresh token, and its place in the chain (the token names it).
   * Absent on sessions from before (their tokens are items of their own, lib/store/refresh-tokens.ts)
   * until their first refresh moves them here.
   */
  tokenHash?: string;
  generation?: number;
  /** The hashes of the last REMEMBERED_TOKENS tokens exchanged, by generation modulo that: reuse of one revokes. */
  previousTokenHashes?: Record<string, string>;
}

/**
 * How many exchanged tokens a session remembers, so presenting one again is recognised as reuse (and the
 * session revoked). An older one is refused as unknown, without revoking: nothing shows it is not forged.
 * Bounded so the item, and each refresh's write, stays within 1 KB (one write unit) for usual clients.
 */
export const REMEMBERED_TOKENS = 4;

/**
 * Stores a new session holding its first refresh token's hash, only while the user's credentials are
 * still the version the sign-in checked (`session.credVersion`). False when they changed in between (a
 * password or role change won the race): nothing is stored.
 */
export async function createSession(
  table: Table,
  session: Session,
  token: { tokenHash: string; generation: number },
  event?: Record<string, unknown>,
): Promise<boolean> {
  const item = { ...itemKeys.session(session.userId, session.sessionId), type: 'session', ...session };
  const failed = await transact(table, [
    putNew(table, { ...item, tokenHash: token.tokenHash, generation: token.generation, previousTokenHashes: {} }),
    credentialsUnchanged(table, session.userId, session.credVersion),
    ...(event ? [putNew(table, event)] : []),
  ]);
  if (failed.length === 0) return true;
  if (failed.includes(1)) return false;
  throw unexpectedRefusal(failed);
}

export async function getSession(table: Table, userId: string, sessionId: string): Promise<Session | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.session(userId, sessionId), ConsistentRead: true }), options),
  );
  return result.Item as Session | undefined;
}

/** Whether a token (by hash) is the session's current one, one it exchanged lately, or neither. */
export function tokenOf(session: Session, tokenHash: string): 'current' | 'previous' | undefined {
  if (session.tokenHash === tokenHash) return 'current';
  return Object.values(session.previousTokenHashes ?? {}).includes(tokenHash) ? 'previous' : undefined;
}

/**
 * A refresh, in one conditional write on the session item: only while `presented` is its current token
 * and the session is live (LIVE_SESSION_CONDITION, under the user's `credVersion` as just read). With
 * `next` (rotation) the session takes the next token and remembers the presented one as exchanged, so of
 * concurrent refreshes of one token exactly one wins; without (REFRESH_ROTATION=off) only its use is
 * recorded. Answers the session as written, or undefined when the condition failed (nothing written).
 */
export async function exchangeSessionToken(
  table: Table,
  presented: { userId: string; sessionId: string; generation: number; tokenHash: string },
  live: { credVersion: number; now: Date },
  next?: { tokenHash: string; expiresAt: number },
): Promise<Session | undefined> {
  const values = {
    ':presented': presented.tokenHash,
    ':generation': presented.generation,
    ':now': live.now.toISOString(),
    ':nowSeconds': Math.floor(live.now.getTime() / 1000),
    ':credVersion': live.credVersion,
  };
  try {
    const result = await guarded(table, (options) =>
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: itemKeys.session(presented.userId, presented.sessionId),
          UpdateExpression: next
            ? 'SET tokenHash = :next, #generation = :nextGeneration, previousTokenHashes.#slot = :presented, lastUsedAt = :now, expiresAt = :expiresAt'
            : 'SET lastUsedAt = :now',
          ConditionExpression: `tokenHash = :presented AND #generation = :generation AND ${LIVE_SESSION_CONDITION}`,
          ExpressionAttributeNames: { '#generation': 'generation', ...(next ? { '#slot': String(presented.generation % REMEMBERED_TOKENS) } : {}) },
          ExpressionAttributeValues: next
            ? { ...values, ':next': next.tokenHash, ':nextGeneration': presented.generation + 1, ':expiresAt': next.expiresAt }
            : values,
          ReturnValues: 'ALL_NEW',
          // On a refusal, the item as it is: to tell our own earlier attempt from a rival (below).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        options,
      ),
    );
    return result.Attributes as Session;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The SDK retries a write whose answer was lost (a timeout on a slow table); when the lost attempt
    // was applied, the retry finds the token exchanged. The next token's hash is this call's own (random,
    // never sent yet), so finding it current means the exchange is ours: not reuse, not a lost race.
    if (next && (error as { Item?: { tokenHash?: { S?: string } } }).Item?.tokenHash?.S === next.tokenHash) {
      return getSession(table, presented.userId, presented.sessionId);
    }
    return undefined;
  }
}

/** The session and its user in one round trip. */
export async function getSessionWithUser(table: Table, userId: string, sessionId: string): Promise<{ session: Session | undefined; user: User | undefined }> {
  const sessionKey = itemKeys.session(userId, sessionId);
  const result = await guarded(table, (options) =>
    table.client.send(
      new BatchGetCommand({
        RequestItems: { [table.name]: { Keys: [sessionKey, itemKeys.user(userId)], ConsistentRead: true } },
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

/** Applies an update to a session only while it exists and is not revoked; false otherwise. */
function updateLiveSession(table: Table, userId: string, sessionId: string, updateExpression: string, now: string): Promise<boolean> {
  return conditionally(table, (options) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.session(userId, sessionId),
        UpdateExpression: updateExpression,
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':now': now },
      }),
      options,
    ),
  );
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
    ExpressionAttributeValues: { ':pk': itemKeys.user(userId).pk, ':prefix': 'SESSION#' },
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
  await deleteItems(
    table,
    sessions.map((session) => itemKeys.session(userId, session.sessionId)),
  );
}
