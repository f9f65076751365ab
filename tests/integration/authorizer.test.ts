import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { signIn as signInOutcome } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps, SessionDeps } from '../../lib/account/types';
import { importSigningKeys, splitKeySet } from '../../lib/access/signing-keys';
import { itemKeys } from '../../lib/store/item-keys';
import { inlineKeyEnv } from '../../scripts/local-keys';
import { switchMfa } from '../../lib/store/mfa';
import { revokeSession } from '../../lib/store/sessions';
import { createTable } from '../../lib/store/table';
import { changeCredentials, changeRoles, deleteUserRecord, findUserByUsername } from '../../lib/store/users';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { authorizerEvent, httpApiAuthorizerEvent } from '../../scripts/lambda-events';
import { testKeySet } from '../support/keys';
import { logger } from '../../lib/shared/log';
import { recordingMailQueue } from '../support/mail';

// The real authorizer handler (handlers/access/authorizer.ts) with its real session checker
// (lib/store/live-session.ts, a signed fetch) against DynamoDB Local: no stub decides liveness here.
// Its decision cache is off (AUTHORIZER_CACHE_TTL=0), so every call asks the table; the cache's own
// lifetime is the unit tier's and the e2e tier's business.
let handler: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
let deps: SessionDeps & MailingDeps;
let clock: () => Date = () => new Date();

beforeAll(async () => {
  const { json } = await testKeySet();
  // Before the handler is imported: it reads its configuration once, at cold start.
  Object.assign(process.env, {
    // The authorizer's own part only (the public key set), as serverless.yml names it.
    PUBLIC_KEYS: inlineKeyEnv(splitKeySet(json, new Date())).PUBLIC_KEYS,
    JWT_ISSUER: testAccountConfig.issuer,
    JWT_AUDIENCE: testAccountConfig.audience,
    AUTHORIZER_CACHE_TTL: '0',
  });
  ({ handler } = await import('../../handlers/access/authorizer'));
  deps = {
    table: createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT }),
    keys: await importSigningKeys(json),
    now: () => clock(),
    client: { userAgent: 'jest', ip: '127.0.0.1' },
    config: testAccountConfig,
    mail: recordingMailQueue(),
  };
});

afterAll(() => deps.table.client.destroy());

/** A new user signed in `sessions` times: one access token (and session) per sign-in. */
async function signedIn(sessions = 1, config: SessionDeps['config'] = testAccountConfig) {
  const input = newUser('authz');
  await signUp(deps, input, undefined);
  const opened = [];
  for (let i = 0; i < sessions; i++) {
    const outcome = await signInOutcome({ ...deps, config }, { username: input.username, password: input.password });
    if ('mfaRequired' in outcome) throw new Error('unexpected MFA challenge');
    const sessionId = (JSON.parse(Buffer.from(outcome.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
    opened.push({ token: outcome.accessToken, cookieToken: outcome.cookieToken, sessionId });
  }
  const user = (await findUserByUsername(deps.table, input.username))!;
  return { user, sessions: opened };
}

/** What the authorizer decides for a token: the policy's effect, and the context it passes on. */
async function decision(token: string) {
  const result = await handler(authorizerEvent({ 'x-access-token': token }));
  return { effect: result.policyDocument.Statement[0]!.Effect, context: result.context };
}

const allowed = (userId: string, sessionId: string) => ({
  effect: 'Allow',
  context: { userId, sessionId, roles: '["user"]', via: 'header' },
});
const denied = { effect: 'Deny', context: { message: 'Unauthorized!' } };

describe('the authorizer, against the table', () => {
  it('allows a live session', async () => {
    const {
      user,
      sessions: [a],
    } = await signedIn();
    expect(await decision(a!.token)).toEqual(allowed(user.id, a!.sessionId));
  });

  it('denies a signed-out session, and only that one', async () => {
    const {
      user,
      sessions: [a, b],
    } = await signedIn(2);
    expect(await revokeSession(deps.table, user.id, a!.sessionId, new Date().toISOString())).toBe(true);
    expect(await decision(a!.token)).toEqual(denied);
    expect(await decision(b!.token)).toEqual(allowed(user.id, b!.sessionId));
  });

  it.each<[string, unknown]>([
    ['a number', 1_800_000_000],
    ['a boolean', true],
  ])('denies a session whose revokedAt is %s, not the timestamp string this service writes: any revokedAt revokes', async (_, revokedAt) => {
    const {
      user,
      sessions: [a, b],
    } = await signedIn(2);
    await deps.table.client.send(
      new UpdateCommand({
        TableName: deps.table.name,
        Key: itemKeys.session(user.id, a!.sessionId),
        UpdateExpression: 'SET revokedAt = :revokedAt',
        ExpressionAttributeValues: { ':revokedAt': revokedAt },
      }),
    );
    expect(await decision(a!.token)).toEqual(denied);
    expect(await decision(b!.token)).toEqual(allowed(user.id, b!.sessionId));
  });

  it.each([
    ['a password change', (userId: string) => changeCredentials(deps.table, userId, { passwordHash: '$2b$04$another.hash' })],
    ['a role change', async (userId: string) => (await changeRoles(deps.table, userId, ['user', 'moderator'])) === 'done'],
  ])('denies every session opened before %s', async (_, change) => {
    const { user, sessions } = await signedIn(2);
    expect(await change(user.id)).toBe(true);
    for (const { token } of sessions) expect(await decision(token)).toEqual(denied);
  });

  it('after MFA is switched in one session, denies the other sessions and allows that one', async () => {
    const {
      user,
      sessions: [a, b],
    } = await signedIn(2);
    expect(await switchMfa(deps.table, user.id, { enable: false }, user.credVersion, a!.sessionId)).toBe(true);
    expect(await decision(b!.token)).toEqual(denied);
    expect(await decision(a!.token)).toEqual(allowed(user.id, a!.sessionId));
  });

  it('denies a session whose user is gone, session item or not', async () => {
    const {
      user,
      sessions: [a],
    } = await signedIn();
    expect(await deleteUserRecord(deps.table, user.id)).toBe('done');
    expect(await decision(a!.token)).toEqual(denied);
  });

  it('denies an access token that outlives its session', async () => {
    // Signed in two minutes ago with a one-minute session and a two-hour access token.
    clock = () => new Date(Date.now() - 120_000);
    try {
      const {
        sessions: [a],
      } = await signedIn(1, { ...testAccountConfig, refreshTokenTtlSeconds: 60, accessTokenTtlSeconds: 7200 });
      clock = () => new Date();
      expect(await decision(a!.token)).toEqual(denied);
    } finally {
      clock = () => new Date();
    }
  });
});

describe("the authorizer's log", () => {
  it('has one line per refusal, with its reason, and an allowed request only at DEBUG (sampled invocations)', async () => {
    const {
      user,
      sessions: [a, b],
    } = await signedIn(2);
    expect(await revokeSession(deps.table, user.id, b!.sessionId, new Date().toISOString())).toBe(true);
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const debug = jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
    try {
      await decision(a!.token);
      expect({ info: info.mock.calls, debug: debug.mock.calls }).toEqual({
        info: [],
        debug: [['authorize', { outcome: 'ok', route: 'GET /api/test/user', userId: user.id }]],
      });
      debug.mockClear();
      await decision(b!.token);
      expect({ info: info.mock.calls, debug: debug.mock.calls }).toEqual({
        info: [['authorize', { outcome: 'refused', route: 'GET /api/test/user', reason: 'Unauthorized!' }]],
        debug: [],
      });
    } finally {
      info.mockRestore();
      debug.mockRestore();
    }
  });
});

describe('the authorizer behind an HTTP API (payload 2.0)', () => {
  const simple = (event: ReturnType<typeof httpApiAuthorizerEvent>) =>
    (handler as unknown as (event: ReturnType<typeof httpApiAuthorizerEvent>) => Promise<{ isAuthorized: boolean; context: Record<string, string> }>)(event);

  it('answers a simple response: the same context for a token header, and for the session cookie from the cookies array', async () => {
    const {
      user,
      sessions: [a],
    } = await signedIn();
    expect(await simple(httpApiAuthorizerEvent({ authorization: `Bearer ${a!.token}` }))).toEqual({
      isAuthorized: true,
      context: allowed(user.id, a!.sessionId).context,
    });
    // No token header: the session cookie decides, read from the cookies array; an access token planted
    // as the cookie is refused (the cookie takes only cookie tokens), as under REST.
    const cookieName = (await import('../../lib/shared/config')).config().authCookieName;
    expect(await simple(httpApiAuthorizerEvent({}, ['other=1', `${cookieName}=${a!.cookieToken}`]))).toEqual({
      isAuthorized: true,
      context: { ...allowed(user.id, a!.sessionId).context, via: 'cookie' },
    });
    expect(await simple(httpApiAuthorizerEvent({}, [`${cookieName}=${a!.token}`]))).toEqual({ isAuthorized: false, context: { message: 'Unauthorized!' } });
  });

  it('denies without a credential, and a revoked session', async () => {
    expect(await simple(httpApiAuthorizerEvent({}))).toEqual({ isAuthorized: false, context: { message: 'No token provided!' } });
    const {
      user,
      sessions: [a],
    } = await signedIn();
    expect(await revokeSession(deps.table, user.id, a!.sessionId, new Date().toISOString())).toBe(true);
    expect(await simple(httpApiAuthorizerEvent({ 'x-access-token': a!.token }))).toEqual({ isAuthorized: false, context: { message: 'Unauthorized!' } });
  });
});
