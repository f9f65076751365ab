import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AttemptScope, itemKeys } from './item-keys';
import { guarded, isConditionFailure, type Table } from './table';

export interface AttemptCount {
  count: number;
  /** Epoch seconds when the window (and any lock) ends; also the item's TTL. */
  windowEndsAt: number;
}

/**
 * Counts one sign-in attempt in a fixed window, atomically: concurrent attempts each get their own
 * count (an `ADD`, never read-then-write), so parallel guesses cannot under-count. One round trip opens
 * a window or counts into a live one (the usual cases, a cleared counter included); only a window that
 * has ended but not yet been deleted by TTL takes a second one, to start over at 1.
 */
export async function countAttempt(table: Table, scope: AttemptScope, value: string, nowSeconds: number, windowSeconds: number): Promise<AttemptCount> {
  const key = itemKeys.attempts(scope, value);
  for (let round = 0; round < 3; round++) {
    try {
      const result = await guarded(table, (options) =>
        table.client.send(
          new UpdateCommand({
            TableName: table.name,
            Key: key,
            UpdateExpression: 'ADD attempts :one SET expiresAt = if_not_exists(expiresAt, :end)',
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt > :now',
            ExpressionAttributeValues: { ':one': 1, ':now': nowSeconds, ':end': nowSeconds + windowSeconds },
            ReturnValues: 'ALL_NEW',
          }),
          options,
        ),
      );
      return { count: Number(result.Attributes?.attempts), windowEndsAt: Number(result.Attributes?.expiresAt) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      await guarded(table, (options) =>
        table.client.send(
          new UpdateCommand({
            TableName: table.name,
            Key: key,
            UpdateExpression: 'SET attempts = :one, expiresAt = :end',
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':one': 1, ':now': nowSeconds, ':end': nowSeconds + windowSeconds },
          }),
          options,
        ),
      );
      return { count: 1, windowEndsAt: nowSeconds + windowSeconds };
    } catch (error) {
      // Another attempt opened the window in between: count into it.
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error('attempt counter did not settle');
}

export async function clearAttempts(table: Table, scope: AttemptScope, value: string): Promise<void> {
  await guarded(table, (options) => table.client.send(new DeleteCommand({ TableName: table.name, Key: itemKeys.attempts(scope, value) }), options));
}
