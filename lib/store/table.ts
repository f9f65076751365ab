import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Deadline } from '../shared/deadline';
import { HttpError, ServiceUnavailableError } from '../shared/errors';

export interface TableSettings {
  tableName: string;
  region: string;
  dynamodbEndpoint: string | undefined;
}

/**
 * A document client bound to the one table. The client is created once per cold start (tests pass
 * their own); each request gets a copy carrying its deadline (`withDeadline`), which every call obeys.
 */
export interface Table {
  client: DynamoDBDocumentClient;
  name: string;
  deadline?: Deadline | undefined;
}

/** The same table for one request: every call made through it ends by the request's deadline. */
export function withDeadline(table: Table, deadline: Deadline | undefined): Table {
  return { client: table.client, name: table.name, deadline };
}

export function createTable(settings: TableSettings): Table {
  const client = new DynamoDBClient({
    region: settings.region,
    // Deliberate timeouts and retries. The request's deadline (lib/shared/deadline.ts) bounds the whole request;
    // these bound one attempt, so a slow attempt is retried inside that budget
    // (throwOnRequestTimeout: without it the SDK only warns and keeps waiting).
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true },
    ...(settings.dynamodbEndpoint
      ? {
          endpoint: settings.dynamodbEndpoint,
          // DynamoDB Local accepts any credentials; fixed ones keep a developer's real keys out of it.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
  return {
    client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    name: settings.tableName,
  };
}

/** A transaction item that puts a new item, failing if one with its key exists already. */
export function putNew(table: Table, item: Record<string, unknown>) {
  return { Put: { TableName: table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** Puts one new item on its own (not in a transaction); fails (ConditionalCheckFailed, thrown) if its key exists already. */
export async function putNewItem(table: Table, item: Record<string, unknown>): Promise<void> {
  await guarded(table, (options) => table.client.send(new PutCommand(putNew(table, item).Put), options));
}

/** Condition failures DynamoDB reports, by operation: single writes and transactions. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** For a cancelled transaction, which of its items failed their condition (by index). */
function cancelledConditions(error: unknown): boolean[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code === 'ConditionalCheckFailed');
}

/**
 * Writes `items` in one transaction (TransactWriteItems), within the request's deadline as `guarded`
 * runs every call. Answers the indexes of the items whose conditions failed, in order: none when the
 * transaction committed; when any failed, nothing was written. Every other failure is thrown as
 * `guarded` translates it, a conflict with another transaction at the same moment among them (a 503
 * that `isTransactionConflict` tells apart, for a caller that tries again).
 */
export async function transact(table: Table, items: Record<string, unknown>[]): Promise<number[]> {
  try {
    await guarded(table, (options) => table.client.send(new TransactWriteCommand({ TransactItems: items as never }), options));
    return [];
  } catch (error) {
    const failed = cancelledConditions(error);
    if (!failed?.some(Boolean)) throw error;
    return failed.flatMap((conditionFailed, index) => (conditionFailed ? [index] : []));
  }
}

/** A transaction refused by conditions its caller did not expect to fail: a bug, never a client's answer (500). */
export function unexpectedRefusal(failed: number[]): Error {
  return new Error(`transaction refused by the conditions of items ${failed.join(', ')}`);
}

/**
 * A transaction cancelled because another one touched the same item at once (DynamoDB's
 * TransactionConflict), seen through `guarded`'s 503: worth one more try, not an answer.
 */
export function isTransactionConflict(error: unknown): boolean {
  const original = error instanceof ServiceUnavailableError ? error.cause : error;
  if (!(original instanceof Error) || original.name !== 'TransactionCanceledException') return false;
  return ((original as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');
}

type PagedQuery = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

/** Every item a query matches, one page at a time, as they come (a migration over a whole index). */
export async function* queryEach(table: Table, query: PagedQuery): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await guarded(table, (options) =>
      table.client.send(new QueryCommand({ ...query, TableName: table.name, ExclusiveStartKey: startKey }), options),
    );
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Every item a query matches, page after page, in one list: for one user's items, which stay few. */
export async function queryAll(table: Table, query: PagedQuery): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const item of queryEach(table, query)) items.push(item);
  return items;
}

/**
 * A conditional write: true when it was made, false when its condition failed (DynamoDB's answer to
 * "already used", "gone", "changed in between"); other failures as `guarded` translates them.
 */
export async function conditionally(table: Table, call: (options: CallOptions) => Promise<unknown>): Promise<boolean> {
  try {
    await guarded(table, call);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** What every call receives: the request's abort signal, for the SDK's `send(command, options)`. */
export interface CallOptions {
  abortSignal?: AbortSignal;
}

/**
 * Runs one database call within the request's deadline and translates infrastructure failures
 * (network, throttling, timeouts, the deadline) into a 503 at this boundary, so no SDK message ever
 * reaches a client. Condition failures pass through for the repository to turn into domain errors. A
 * ValidationException means we sent something DynamoDB refuses (a key too long, say): that is a bug in
 * our validation, never worth a retry, so it becomes a 500.
 */
export async function guarded<T>(table: Table, call: (options: CallOptions) => Promise<T>): Promise<T> {
  const deadline = table.deadline;
  try {
    return deadline ? await deadline.race(call({ abortSignal: deadline.signal })) : await call({});
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (isConditionFailure(error) || cancelledConditions(error)?.some(Boolean)) throw error;
    if (error instanceof Error && error.name === 'ValidationException') {
      throw new Error('DynamoDB refused a request as invalid: input validation let it through', { cause: error });
    }
    throw new ServiceUnavailableError({ cause: error });
  }
}

/** Deletes items by key, 25 per BatchWriteItem. */
export async function deleteItems(table: Table, itemKeys: Record<string, string>[]): Promise<void> {
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

/**
 * Uses up a single-use item (a challenge, a state, a ticket, a one-time code) in one conditional delete
 * that answers what it deleted: only while it exists, is live (`expiresAt` past `nowSeconds`) and meets
 * `condition` (its placeholders in `values`). Of two uses at once exactly one gets it; a used, expired or
 * foreign one answers undefined, and a refused one is not spent.
 */
export async function spendLiveItem(
  table: Table,
  key: { pk: string; sk: string },
  nowSeconds: number,
  extra: { condition?: string; values?: Record<string, unknown> } = {},
): Promise<Record<string, unknown> | undefined> {
  try {
    const result = await guarded(table, (options) =>
      table.client.send(
        new DeleteCommand({
          TableName: table.name,
          Key: key,
          ConditionExpression: `attribute_exists(pk) AND expiresAt > :now${extra.condition ? ` AND ${extra.condition}` : ''}`,
          ExpressionAttributeValues: { ':now': nowSeconds, ...extra.values },
          ReturnValues: 'ALL_OLD',
        }),
        options,
      ),
    );
    return result.Attributes;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}
