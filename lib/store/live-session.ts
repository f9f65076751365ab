import { AwsClient } from 'aws4fetch';
import type { TableSettings } from './table';

/**
 * The authorizer's revocation check: one consistent BatchGetItem of the session and its user.
 *
 * Deliberately not the AWS SDK: the authorizer runs before every request and its cold start is paid by
 * users, and the SDK's DynamoDB client adds ~550 KB and tens of milliseconds of module load. A signed
 * `fetch` (aws4fetch, SigV4 with WebCrypto) does the one call it needs in a few KB. Every other data
 * access goes through lib/store/table.ts.
 */
export type SessionChecker = (userId: string, sessionId: string, nowSeconds: number) => Promise<boolean>;

type AttributeValue = { S?: string; N?: string };
type Item = Record<string, AttributeValue>;

export function createSessionChecker(settings: TableSettings, env: Record<string, string | undefined> = process.env): SessionChecker {
  const local = settings.dynamodbEndpoint !== undefined;
  const endpoint = settings.dynamodbEndpoint ?? `https://dynamodb.${settings.region}.amazonaws.com`;
  const client = () =>
    new AwsClient({
      // Lambda puts the function role's credentials in the environment; DynamoDB Local takes any.
      accessKeyId: local ? 'local' : (env.AWS_ACCESS_KEY_ID ?? ''),
      secretAccessKey: local ? 'local' : (env.AWS_SECRET_ACCESS_KEY ?? ''),
      ...(!local && env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      service: 'dynamodb',
      region: settings.region,
      retries: 2,
    });
  let aws = client();

  return async (userId, sessionId, nowSeconds) => {
    const keys = [
      { pk: { S: `USER#${userId}` }, sk: { S: `SESSION#${sessionId}` } },
      { pk: { S: `USER#${userId}` }, sk: { S: 'PROFILE' } },
    ];
    const response = await aws.fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.BatchGetItem' },
      body: JSON.stringify({
        RequestItems: { [settings.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'sk, revokedAt, expiresAt' } },
      }),
      signal: AbortSignal.timeout(2500),
    });
    if (!response.ok) {
      // Rotated credentials show up as 4xx: build a client from the current environment next time.
      aws = client();
      throw new Error(`session check failed with HTTP ${response.status}`);
    }
    const result = (await response.json()) as {
      Responses?: Record<string, Item[]>;
      UnprocessedKeys?: Record<string, unknown>;
    };
    // Fail closed: a partial answer is no answer.
    if (result.UnprocessedKeys && Object.keys(result.UnprocessedKeys).length > 0) throw new Error('session check incomplete');
    const items = result.Responses?.[settings.tableName] ?? [];
    const session = items.find((item) => item.sk?.S?.startsWith('SESSION#'));
    const profile = items.find((item) => item.sk?.S === 'PROFILE');
    return Boolean(profile && session && !session.revokedAt && Number(session.expiresAt?.N) > nowSeconds);
  };
}
