import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../errors';

export interface TableSettings {
  tableName: string;
  region: string;
  dynamodbEndpoint: string | undefined;
}

/** A document client bound to the one table. Created once per cold start; tests pass their own. */
export interface Table {
  client: DynamoDBDocumentClient;
  name: string;
}

export function createTable(settings: TableSettings): Table {
  const client = new DynamoDBClient({
    region: settings.region,
    // Deliberate timeouts and retries: a database that hangs must turn into a 503 within seconds, not
    // hold the Lambda until its own 10 s timeout. One call gives up after 3 attempts of at most 1 s
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

/** Item key layout of the single table. */
export const keys = {
  user: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  usernameClaim: (normalized: string) => ({ pk: `USERNAME#${normalized}`, sk: 'CLAIM' }),
  emailClaim: (normalized: string) => ({ pk: `EMAIL#${normalized}`, sk: 'CLAIM' }),
  session: (userId: string, sessionId: string) => ({ pk: `USER#${userId}`, sk: `SESSION#${sessionId}` }),
  refreshToken: (tokenHash: string) => ({ pk: `REFRESH#${tokenHash}`, sk: 'TOKEN' }),
  /** Sign-in attempt counters, per submitted username and per source IP. */
  attempts: (scope: 'username' | 'ip', value: string) => ({ pk: `ATTEMPTS#${scope}#${value}`, sk: 'COUNTER' }),
};

/** The sparse index listing user profiles (see resources/dynamodb.yml). */
export const USERS_INDEX = 'byType';
export const userIndexKeys = (createdAt: string, userId: string) => ({ gsi1pk: 'USER', gsi1sk: `${createdAt}#${userId}` });

/** A transaction item that puts a new item, failing if one with its key exists already. */
export function putNew(table: Table, item: Record<string, unknown>) {
  return { Put: { TableName: table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** Condition failures DynamoDB reports, by operation: single writes and transactions. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** For a cancelled transaction, which of its items failed their condition (by index). */
export function cancelledConditions(error: unknown): boolean[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code === 'ConditionalCheckFailed');
}

/**
 * Runs one database call and translates infrastructure failures (network, throttling, timeouts) into
 * a 503 at this boundary, so no SDK message ever reaches a client. Condition failures pass through for
 * the repository to turn into domain errors.
 */
export async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConditionFailure(error) || cancelledConditions(error)?.some(Boolean)) throw error;
    throw new ServiceUnavailableError({ cause: error });
  }
}
