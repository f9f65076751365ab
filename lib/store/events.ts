import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BadRequestError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { readCursor, signCursor } from './cursor';
import { itemKeys } from './item-keys';
import { deleteItems, guarded, isConditionFailure, queryAll, type Table } from './table';

/** What happened to an account, as the contract lists it. Never a password, token or hash. */
export type SecurityEventType =
  | 'signin.success'
  | 'signin.failure'
  | 'signin.locked'
  | 'signout'
  | 'refresh.reuse'
  | 'password.change'
  | 'password.reset'
  | 'email.verify'
  | 'email.change'
  | 'mfa.enable'
  | 'mfa.disable'
  | 'mfa.reset'
  | 'mfa.failure'
  | 'recovery.regenerate'
  | 'session.revoke'
  | 'roles.change'
  | 'passkey.add'
  | 'passkey.remove'
  | 'passkey.signin'
  /** A passkey's signature counter went backwards (a cloned authenticator?): its sign-in was refused. */
  | 'passkey.counter'
  | 'identity.link'
  | 'identity.unlink'
  | 'signin.federated'
  /** Logged only, never stored: the account's events go with it (lib/account/admin-users.ts deleteUser). */
  | 'account.delete';

export interface SecurityEvent {
  type: SecurityEventType;
  at: string;
  ip: string | null;
  userAgent: string | null;
  /** The user id of whoever acted, when it was not the account's owner (an admin); `ip` is theirs. */
  actor?: string;
}

/** The item of an event: in its user's partition, sorted by time, expiring by TTL. */
export function eventItem(userId: string, event: SecurityEvent, expiresAt: number) {
  const { type, at, ip, userAgent, actor } = event;
  return {
    ...itemKeys.event(userId, at, crypto.randomUUID()),
    type: 'event',
    eventType: type,
    at,
    ip,
    userAgent,
    ...(actor === undefined ? {} : { actor }),
    expiresAt,
  };
}

/**
 * Stores an event of `userId`, or, for a user that does not exist (a sign-in failure for an unknown
 * name), the same PutItem under a condition that cannot hold: the same work and time, nothing stored,
 * so neither the answer's timing nor the table's growth tells unknown names from known ones.
 */
export async function putEvent(table: Table, userId: string | undefined, event: SecurityEvent, expiresAt: number): Promise<void> {
  try {
    await guarded(table, (options) =>
      table.client.send(
        new PutCommand({
          TableName: table.name,
          Item: eventItem(userId ?? 'nobody', event, expiresAt),
          ConditionExpression: userId === undefined ? 'attribute_exists(pk)' : 'attribute_not_exists(pk)',
        }),
        options,
      ),
    );
  } catch (error) {
    if (!(userId === undefined && isConditionFailure(error))) throw error;
  }
}

/** One page of a user's events, newest first; the cursor is signed (HMAC) and bound to that user. */
export async function listEvents(
  table: Table,
  userId: string,
  limit: number,
  cursor: string | undefined,
  secret: Uint8Array,
): Promise<{ events: SecurityEvent[]; nextCursor: string | null }> {
  const pk = itemKeys.user(userId).pk;
  let startKey: Record<string, string> | undefined;
  if (cursor !== undefined) {
    const position = readCursor(cursor, secret) as Record<string, unknown> | undefined;
    const valid = position && Object.keys(position).length === 2 && position.pk === pk && typeof position.sk === 'string' && position.sk.startsWith('EVENT#');
    if (!valid) throw new BadRequestError(MESSAGES.cursorInvalid);
    startKey = position as Record<string, string>;
  }
  const result = await guarded(table, (options) =>
    table.client.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': 'EVENT#' },
        ProjectionExpression: 'eventType, #at, ip, userAgent, actor',
        ExpressionAttributeNames: { '#at': 'at' },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
      options,
    ),
  );
  const events = (result.Items ?? []).map((item) => ({
    type: item.eventType as SecurityEventType,
    at: String(item.at),
    ip: (item.ip as string | null) ?? null,
    userAgent: (item.userAgent as string | null) ?? null,
    ...(typeof item.actor === 'string' ? { actor: item.actor } : {}),
  }));
  return { events, nextCursor: result.LastEvaluatedKey ? signCursor(result.LastEvaluatedKey, secret) : null };
}

/** Deletes a user's events (with the user). */
export async function deleteAllEvents(table: Table, userId: string): Promise<void> {
  const found = (await queryAll(table, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': itemKeys.user(userId).pk, ':prefix': 'EVENT#' },
    ProjectionExpression: 'pk, sk',
  })) as unknown as { pk: string; sk: string }[];
  await deleteItems(
    table,
    found.map(({ pk, sk }) => ({ pk, sk })),
  );
}
