import { AwsV4Signer } from 'aws4fetch';
import { Deadline } from '../shared/deadline';
import { itemKeys } from './item-keys';
import type { TableSettings } from './table';

/**
 * The authorizer's revocation check: one consistent BatchGetItem of the session and its user (only the
 * attributes liveness needs: its IAM policy allows no others, password hashes included).
 *
 * Deliberately not the AWS SDK: the authorizer runs before every request and its cold start is paid by
 * users, and the SDK's DynamoDB client adds ~550 KB and tens of milliseconds of module load. A signed
 * `fetch` (aws4fetch, SigV4 with WebCrypto) does the one call it needs in a few KB. Every other data
 * access goes through lib/store/table.ts.
 */
export type SessionChecker = (userId: string, sessionId: string, nowSeconds: number, deadline?: Deadline) => Promise<boolean>;

type AttributeValue = { S?: string; N?: string };
type Item = Record<string, AttributeValue>;

/** What liveness reads of a session: the stored item's attributes, by either reader. */
export interface SessionLiveness {
  revokedAt?: string | undefined;
  /** Epoch seconds. */
  expiresAt: number;
  /** The user's credVersion when the session was opened (missing on items from before versions: 0). */
  credVersion?: number | undefined;
}

/**
 * The one rule for "is this session still live", used by refresh (lib/account/refresh.ts) and by the
 * authorizer (below) alike: not revoked, not expired, and opened under its user's current credentials
 * (a password, role or MFA change bumps the user's credVersion, and every older session is dead). A
 * missing user or session is dead. Pure and SDK-free, so the authorizer bundle can carry it.
 */
export function isSessionLive<S extends SessionLiveness>(
  session: S | undefined,
  profile: { credVersion?: number | undefined } | undefined,
  nowSeconds: number,
): session is S {
  if (!session || !profile || session.revokedAt !== undefined) return false;
  // NaN (an unreadable expiry) compares false: dead.
  return session.expiresAt > nowSeconds && (session.credVersion ?? 0) === (profile.credVersion ?? 0);
}

/**
 * The same rule as a DynamoDB condition on the session item, for a write that must only land on a live
 * session (a refresh's exchange, lib/store/sessions.ts): not revoked, not expired at `:nowSeconds`, and
 * opened under `:credVersion`, the user's version as just read. Sessions this service writes now always
 * carry their credVersion, so a missing one (an item from before versions) never matches.
 */
export const LIVE_SESSION_CONDITION = 'attribute_not_exists(revokedAt) AND expiresAt > :nowSeconds AND credVersion = :credVersion';

export function createSessionChecker(settings: TableSettings, env: Record<string, string | undefined> = process.env): SessionChecker {
  const local = settings.dynamodbEndpoint !== undefined;
  const endpoint = settings.dynamodbEndpoint ?? `https://dynamodb.${settings.region}.amazonaws.com`;
  const credentials = () =>
    // Lambda puts the function role's credentials in the environment (read per call: they rotate);
    // DynamoDB Local takes any.
    local
      ? { accessKeyId: 'local', secretAccessKey: 'local' }
      : {
          accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        };

  return async (userId, sessionId, nowSeconds, deadline = Deadline.forRequest()) => {
    const sessionKey = itemKeys.session(userId, sessionId);
    const profileKey = itemKeys.user(userId);
    const wanted = [sessionKey, profileKey].map(({ pk, sk }) => ({ pk: { S: pk }, sk: { S: sk } }));
    // Signed here, sent with a plain fetch(url, { signal }): a Request object carrying the signal would
    // let undici lose it to garbage collection and hang past the deadline (nodejs/undici#4068).
    const signed = await new AwsV4Signer({
      ...credentials(),
      url: endpoint,
      method: 'POST',
      service: 'dynamodb',
      region: settings.region,
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.BatchGetItem' },
      body: JSON.stringify({
        RequestItems: { [settings.tableName]: { Keys: wanted, ConsistentRead: true, ProjectionExpression: 'sk, revokedAt, expiresAt, credVersion' } },
      }),
    }).sign();
    const call = async () => {
      const response = await fetch(signed.url, { method: signed.method, headers: signed.headers, body: signed.body as string, signal: deadline.signal });
      return { ok: response.ok, status: response.status, json: response.ok ? ((await response.json()) as unknown) : undefined };
    };
    // Throttling and 5xx are worth another try, as long as the deadline leaves time for one.
    let response = await deadline.race(call());
    for (let attempt = 1; attempt < 3 && (response.status >= 500 || response.status === 429); attempt++) {
      response = await deadline.race(call());
    }
    if (!response.ok) throw new Error(`session check failed with HTTP ${response.status}`);
    const result = response.json as {
      Responses?: Record<string, Item[]>;
      UnprocessedKeys?: Record<string, unknown>;
    };
    // Fail closed: a partial answer is no answer.
    if (result.UnprocessedKeys && Object.keys(result.UnprocessedKeys).length > 0) throw new Error('session check incomplete');
    const items = result.Responses?.[settings.tableName] ?? [];
    const session = items.find((item) => item.sk?.S === sessionKey.sk);
    const profile = items.find((item) => item.sk?.S === profileKey.sk);
    return isSessionLive(session && livenessOf(session), profile && { credVersion: Number(profile.credVersion?.N ?? 0) }, nowSeconds);
  };
}

/** A raw session item (DynamoDB JSON) as the liveness rule reads it. */
function livenessOf(item: Item): SessionLiveness {
  return {
    // Any revokedAt at all means revoked, whatever its type: never read a surprise as live.
    revokedAt: item.revokedAt === undefined ? undefined : (item.revokedAt.S ?? 'revoked'),
    expiresAt: Number(item.expiresAt?.N),
    credVersion: Number(item.credVersion?.N ?? 0),
  };
}
