import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { deleteUser } from '../../lib/account/admin-users';
import { ensureAdmin } from '../../lib/account/bootstrap';
import { eventToWrite } from '../../lib/account/events';
import { changePassword } from '../../lib/account/password';
import { refreshSession } from '../../lib/account/refresh';
import { signOut } from '../../lib/account/sessions';
import { signIn as signInOutcome, signInAnswer } from '../../lib/account/sign-in';
import { registerUser, signUp } from '../../lib/account/sign-up';
import type { MailingDeps, SecondFactorDeps } from '../../lib/account/types';
import { recordingMailQueue } from '../support/mail';
import {
  EmailTakenError,
  ForbiddenError,
  type HttpError,
  InvalidCredentialsError,
  RefreshTokenError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UsernameTakenError,
} from '../../lib/shared/errors';
import { listEvents } from '../../lib/store/events';
import { itemKeys } from '../../lib/store/item-keys';
import { clearAttempts, countAttempt } from '../../lib/store/attempts';
import { getRefreshToken, tokenItem } from '../../lib/store/refresh-tokens';
import { createSession, getSession, getSessionWithUser, listSessionItems, REMEMBERED_TOKENS, revokeAllSessions, revokeSession } from '../../lib/store/sessions';
import { createTable } from '../../lib/store/table';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { changeCredentials, changeRoles, findUserByUsername, updateProfile } from '../../lib/store/users';
import { hashOpaqueToken, verifyAccessToken } from '../../lib/access/tokens';
import { hashPassword, verifyPassword } from '../../lib/shared/passwords';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { alteringAnswer, changingBefore, interceptedTable, writesProfile } from '../support/injection';
import { testKeySet } from '../support/keys';

// Against the real DynamoDB Local started by global-setup.ts; the clock is ours to move.
let clock = new Date('2026-03-01T12:00:00Z');
let deps: SecondFactorDeps & MailingDeps;
const mail = recordingMailQueue();
const client = { userAgent: 'jest', ip: '127.0.0.1' };
const settings = { issuer: testAccountConfig.issuer, audience: testAccountConfig.audience };

beforeAll(async () => {
  deps = {
    table: createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT }),
    keys: (await testKeySet()).keys,
    now: () => clock,
    client,
    mail,
    config: testAccountConfig,
  };
});

afterAll(() => deps.table.client.destroy());

/** A password sign-in of a user without MFA: always a session. */
async function signIn(...args: Parameters<typeof signInOutcome>) {
  const outcome = await signInOutcome(...args);
  if ('mfaRequired' in outcome) throw new Error('unexpected MFA challenge');
  return outcome;
}

/** What DynamoDB throws at a throttled request: for fault injection, as DynamoDB Local never throttles. */
const throttling = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' });

async function registered(overrides: Partial<ReturnType<typeof newUser>> = {}) {
  const input = { ...newUser(), ...overrides };
  await signUp(deps, input, undefined);
  return input;
}

/**
 * A session and its refresh token as sign-in stored them before tokens lived on the session item: a
 * session item without a token hash, and an item of its own for the token (the old code's two puts).
 */
async function legacySession(userId: string, credVersion = 0) {
  const sessionId = randomUUID();
  const refreshToken = randomBytes(32).toString('base64url');
  const createdAt = clock.toISOString();
  const expiresAt = Math.floor(clock.getTime() / 1000) + deps.config.refreshTokenTtlSeconds;
  const session = { ...itemKeys.session(userId, sessionId), type: 'session', userId, sessionId, createdAt, lastUsedAt: createdAt, expiresAt, credVersion };
  await deps.table.client.send(new PutCommand({ TableName: deps.table.name, Item: session }));
  await deps.table.client.send(
    new PutCommand({ TableName: deps.table.name, Item: tokenItem({ tokenHash: hashOpaqueToken(refreshToken), userId, sessionId, createdAt, expiresAt }) }),
  );
  return { sessionId, refreshToken };
}

describe('sign-up', () => {
  it('stores a user with a bcrypt hash, never the password', async () => {
    const input = await registered();
    const user = await findUserByUsername(deps.table, input.username);
    expect(user).toMatchObject({ username: input.username, email: input.email, roles: ['user'] });
    expect(user!.passwordHash).toMatch(/^\$2[aby]\$04\$/);
    expect(JSON.stringify(user)).not.toContain(input.password);
  });

  it('keeps usernames and emails unique regardless of case', async () => {
    const first = await registered();
    await expect(signUp(deps, { ...newUser(), username: first.username.toUpperCase() }, undefined)).rejects.toThrow(UsernameTakenError);
    await expect(signUp(deps, { ...newUser(), email: first.email.toUpperCase() }, undefined)).rejects.toThrow(EmailTakenError);
  });

  it('lets exactly one of many concurrent sign-ups of one name win', async () => {
    const name = newUser().username;
    const attempts = Array.from({ length: 10 }, (_, i) => signUp(deps, { ...newUser(), username: name, email: `${name}-${i}@example.com` }, undefined));
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(UsernameTakenError);
  });

  it('needs an admin for roles beyond user', async () => {
    await expect(signUp(deps, { ...newUser(), roles: ['moderator'] }, undefined)).rejects.toThrow(ForbiddenError);
    await expect(signUp(deps, { ...newUser(), roles: ['moderator'] }, { userId: 'x', roles: ['user', 'moderator'], sessionId: 's' })).rejects.toThrow(
      'Require Admin Role!',
    );
    // The granting admin must exist as an admin in the table, not only say so in its token.
    await expect(signUp(deps, { ...newUser(), roles: ['moderator'] }, { userId: 'x', roles: ['admin'], sessionId: 's' })).rejects.toThrow(
      'Require Admin Role!',
    );
    const granter = await registerUser(deps, newUser('granter'), ['user', 'admin'], undefined);
    const made = await signUp(deps, { ...newUser(), roles: ['moderator', 'user'] }, { userId: granter.id, roles: ['admin'], sessionId: 's' });
    expect(made.roles).toEqual(['user', 'moderator']);
  });
});

describe('sign-up limit per source IP', () => {
  const t0 = new Date('2026-03-01T12:00:00Z');
  /** Sign-ups from an address of their own, on a clock of their own, with SIGNUP_IP_THRESHOLD=3 per 60 s. */
  function fromOneAddress(threshold = 3) {
    const at = { now: t0 };
    const ip = `198.51.100.${randomBytes(3).join('.')}`;
    const limited: MailingDeps = {
      ...deps,
      now: () => at.now,
      client: { userAgent: 'jest', ip },
      config: { ...testAccountConfig, signupIpThreshold: threshold, signupIpWindowSeconds: 60 },
    };
    return { at, ip, signUp: (input: ReturnType<typeof newUser> & { roles?: string[] }) => signUp(limited, input, undefined) };
  }
  const refusal = (error: unknown) => ({
    name: (error as Error).name,
    status: (error as HttpError).status,
    headers: (error as HttpError).headers,
    message: (error as Error).message,
  });

  it('refuses the sign-up past the threshold with 429 and Retry-After, stores nothing for it, and counts afresh in the next window', async () => {
    const from = fromOneAddress();
    // Refused for its input (roles it may not ask for): not counted.
    await expect(from.signUp({ ...newUser(), roles: ['admin'] })).rejects.toThrow(ForbiddenError);
    const taken = await registered();
    // A taken name counts: probing which names are taken is one of the things the limit is for.
    await expect(from.signUp({ ...newUser(), username: taken.username })).rejects.toThrow(UsernameTakenError);
    await from.signUp(newUser());
    await from.signUp(newUser());
    const fourth = newUser();
    from.at.now = new Date(t0.getTime() + 59_000);
    const error = await from.signUp(fourth).catch((caught: unknown) => caught);
    expect(refusal(error)).toEqual({
      name: 'TooManyRequestsError',
      status: 429,
      headers: { 'Retry-After': '1' },
      message: 'Too many sign-ups. Please try again later.',
    });
    expect(await findUserByUsername(deps.table, fourth.username)).toBeUndefined();
    // The window is over: the same sign-up goes through.
    from.at.now = new Date(t0.getTime() + 60_000);
    await from.signUp(fourth);
    expect(await findUserByUsername(deps.table, fourth.username)).toMatchObject({ email: fourth.email });
  });

  it('lets a parallel burst through no further than the threshold', async () => {
    const from = fromOneAddress();
    const burst = Array.from({ length: 12 }, () => newUser('burst'));
    const results = await Promise.allSettled(burst.map((input) => from.signUp(input)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    for (const result of results) if (result.status === 'rejected') expect(refusal(result.reason)).toMatchObject({ status: 429 });
    const stored = await Promise.all(burst.map((input) => findUserByUsername(deps.table, input.username)));
    expect(stored.filter(Boolean)).toHaveLength(3);
  });

  it('is off at 0: no counter is written', async () => {
    const from = fromOneAddress(0);
    for (let i = 0; i < 5; i++) await from.signUp(newUser());
    const counter = await deps.table.client.send(
      new GetCommand({ TableName: deps.table.name, Key: itemKeys.attempts('signup-ip', from.ip), ConsistentRead: true }),
    );
    expect(counter.Item).toBeUndefined();
  });
});

describe('sign-in', () => {
  it('answers unknown user and wrong password with the same error', async () => {
    const input = await registered();
    await expect(signIn(deps, { username: input.username, password: 'wrong password' })).rejects.toThrow(InvalidCredentialsError);
    await expect(signIn(deps, { username: 'nobody_here', password: input.password })).rejects.toThrow(InvalidCredentialsError);
  });

  it('opens a session with a stored refresh-token hash and an access token for it', async () => {
    const input = await registered();
    const result = await signIn(deps, { username: input.username.toUpperCase(), password: input.password });
    const claims = await verifyAccessToken(deps.keys, result.accessToken, { ...settings, now: clock });
    expect(result.refreshToken.startsWith(`${result.user.id}.${claims.sessionId}.0.`)).toBe(true);
    const { session } = await getSessionWithUser(deps.table, result.user.id, claims.sessionId);
    expect(session).toMatchObject({ userAgent: 'jest', ip: '127.0.0.1', tokenHash: hashOpaqueToken(result.refreshToken), generation: 0 });
    // No item per token any more, and the secret is nowhere.
    expect(await getRefreshToken(deps.table, hashOpaqueToken(result.refreshToken))).toBeUndefined();
    expect(JSON.stringify(session)).not.toContain(result.refreshToken.split('.')[3]);
  });

  it("answers the contract's body: the user, its roles, both tokens, tokenType Bearer and the access token's lifetime", async () => {
    const input = await registered();
    const result = await signIn(deps, { username: input.username, password: input.password });
    expect(signInAnswer(result, 900)).toEqual({
      id: result.user.id,
      username: input.username,
      email: input.email,
      roles: ['ROLE_USER'],
      accessToken: result.accessToken,
      refreshToken: result.refreshToken,
      tokenType: 'Bearer',
      expiresIn: 900,
    });
  });

  /** A client of its own: these tests lock accounts, and the file's other sign-ins share 127.0.0.1. */
  const elsewhere = () => ({ ...deps, client: { userAgent: 'jest', ip: `192.0.2.${randomBytes(3).join('.')}` } });
  const eventTypes = async (userId: string) =>
    (await listEvents(deps.table, userId, 20, undefined, new Uint8Array(32))).events.map((event) => event.type).sort();

  it('records signin.locked on the account when the lockout refuses a sign-in', async () => {
    const input = await registered();
    const user = (await findUserByUsername(deps.table, input.username))!;
    const from = elsewhere();
    for (let i = 0; i < testAccountConfig.lockoutThreshold; i++) {
      await expect(signIn(from, { username: input.username, password: 'wrong password' })).rejects.toThrow(InvalidCredentialsError);
    }
    await expect(signIn(from, { username: input.username, password: input.password })).rejects.toThrow(TooManyRequestsError);
    expect(await eventTypes(user.id)).toEqual([...Array(testAccountConfig.lockoutThreshold).fill('signin.failure'), 'signin.locked']);
  });

  it('records nothing when the count itself fails: the store error (503) is thrown, not taken for a lock', async () => {
    const input = await registered();
    const user = (await findUserByUsername(deps.table, input.username))!;
    // Fault injection (DynamoDB Local cannot throttle on demand): the attempt counters' writes fail as
    // throttled; every other call, the look-up and any event's write, goes to the real table.
    const throttled = interceptedTable(deps.table, async (command) => {
      if (command instanceof UpdateCommand && String(command.input.Key?.pk).startsWith('ATTEMPTS#')) throw throttling();
    });
    await expect(signIn({ ...elsewhere(), table: throttled }, { username: input.username, password: input.password })).rejects.toThrow(ServiceUnavailableError);
    expect(await eventTypes(user.id)).toEqual([]);
  });
});

describe('password hash upgrade', () => {
  const rounds = async (username: string) => Number(/^\$2[aby]\$(\d\d)\$/.exec((await findUserByUsername(deps.table, username))!.passwordHash)![1]);

  it('re-hashes at a raised BCRYPT_COST on the next sign-in, and never lowers it', async () => {
    const input = await registered();
    expect(await rounds(input.username)).toBe(4);
    const raised = { ...deps, config: { ...deps.config, bcryptCost: 5 } };
    await signIn(raised, { username: input.username, password: input.password });
    expect(await rounds(input.username)).toBe(5);
    const user = await findUserByUsername(deps.table, input.username);
    expect(await verifyPassword(input.password, user!.passwordHash)).toBe(true);
    await signIn(deps, { username: input.username, password: input.password });
    expect(await rounds(input.username)).toBe(5);
  });

  it('does not re-hash after a failed sign-in', async () => {
    const input = await registered();
    const raised = { ...deps, config: { ...deps.config, bcryptCost: 5 } };
    await expect(signIn(raised, { username: input.username, password: 'wrong password' })).rejects.toThrow(InvalidCredentialsError);
    expect(await rounds(input.username)).toBe(4);
  });

  it('signs in with the right password when a role change and the re-hash both land before the session is written', async () => {
    const input = await registered();
    const user = (await findUserByUsername(deps.table, input.username))!;
    // Fault injection (the only stand-in here): a client of the same DynamoDB Local that, when the
    // sign-in sends its session transaction, first lets an admin's role change commit, and holds the
    // transaction until the re-hash has been written too. Every call still goes to the real table.
    const faulty = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
    const send = faulty.client.send.bind(faulty.client) as (command: unknown, options?: unknown) => Promise<unknown>;
    let rehashed!: () => void;
    const rehashWritten = new Promise<void>((resolve) => (rehashed = resolve));
    let injected = 0;
    faulty.client.send = (async (command: unknown, options?: unknown) => {
      const input = (command as { input: Record<string, unknown> }).input;
      const items = input.TransactItems as { Put?: { Item?: { type?: string } } }[] | undefined;
      if (command instanceof TransactWriteCommand && items?.[0]?.Put?.Item?.type === 'session' && injected++ === 0) {
        expect(await changeRoles(deps.table, user.id, ['user', 'moderator'])).toBe('done');
        await rehashWritten;
      }
      const result = await send(command, options);
      if (command instanceof UpdateCommand && String(input.ConditionExpression).includes('passwordHash = :expected')) rehashed();
      return result;
    }) as typeof faulty.client.send;
    try {
      const raised = { ...deps, table: faulty, config: { ...deps.config, bcryptCost: 5 } };
      const outcome = await signIn(raised, { username: input.username, password: input.password });
      // The session opened under the new roles, once; the hash moved to the raised cost.
      expect({ injected, roles: outcome.user.roles }).toEqual({ injected: 2, roles: ['user', 'moderator'] });
      expect(await rounds(input.username)).toBe(5);
      expect(await refreshSession(deps, outcome.refreshToken)).toMatchObject({ accessToken: expect.any(String) });
    } finally {
      faulty.client.destroy();
    }
  });

  it('never overwrites a hash that changed in the meantime', async () => {
    const input = await registered();
    const user = (await findUserByUsername(deps.table, input.username))!;
    expect(await updateProfile(deps.table, user.id, { passwordHash: 'new-hash' }, 'not-the-stored-hash')).toBe(false);
    expect((await findUserByUsername(deps.table, input.username))!.passwordHash).toBe(user.passwordHash);
  });
});

describe('attempt counter', () => {
  const t0 = 1_800_000_000;

  it('opens a window, counts into it, starts over once it has ended (item still there) or was cleared', async () => {
    const name = newUser().username;
    expect(await countAttempt(deps.table, 'username', name, t0, 60)).toEqual({ count: 1, windowEndsAt: t0 + 60 });
    expect(await countAttempt(deps.table, 'username', name, t0 + 10, 60)).toEqual({ count: 2, windowEndsAt: t0 + 60 });
    expect(await countAttempt(deps.table, 'username', name, t0 + 59, 60)).toEqual({ count: 3, windowEndsAt: t0 + 60 });
    // Ended, and not deleted by TTL (DynamoDB Local never does within a test): a new window.
    expect(await countAttempt(deps.table, 'username', name, t0 + 60, 60)).toEqual({ count: 1, windowEndsAt: t0 + 120 });
    await clearAttempts(deps.table, 'username', name);
    expect(await countAttempt(deps.table, 'username', name, t0 + 70, 60)).toEqual({ count: 1, windowEndsAt: t0 + 130 });
  });

  it('gives parallel attempts distinct counts in one window, whether it is new or has just ended', async () => {
    for (const start of [t0, t0 + 60]) {
      const name = newUser().username;
      if (start !== t0) await countAttempt(deps.table, 'username', name, t0, 60);
      const results = await Promise.all(Array.from({ length: 20 }, () => countAttempt(deps.table, 'username', name, start, 60)));
      const counts = results.map((r) => r.count).sort((a, b) => a - b);
      // Each attempt its own count, none lost: 1 to 20. A write the SDK retried after a timeout on a loaded
      // machine (its first try applied) counts once more, which only over-counts (seen under Stryker's
      // load: 2 to 21), so what is asserted is distinct counts, none lost, at most one over per attempt.
      expect(new Set(counts).size).toBe(20);
      expect(counts[0]).toBeGreaterThanOrEqual(1);
      expect(counts[19]).toBeGreaterThanOrEqual(20);
      expect(counts[19]).toBeLessThanOrEqual(40);
      expect(new Set(results.map((r) => r.windowEndsAt))).toEqual(new Set([start + 60]));
    }
  });

  /** Which of the counter's two writes a command is: the count into a live window, or the new window. */
  const counterWrite = (command: unknown) => (command instanceof UpdateCommand ? String(command.input.UpdateExpression).split(' ')[0] : undefined);

  it('throws a failure of either write other than its condition (503), never taking it for a race', async () => {
    // Fault injection (DynamoDB Local cannot throttle on demand): the first write of the kind named fails
    // as throttled; the others go to the real table.
    const failingOnce = (write: 'ADD' | 'SET') => {
      let failed = false;
      return interceptedTable(deps.table, async (command) => {
        if (!failed && counterWrite(command) === write) {
          failed = true;
          throw throttling();
        }
      });
    };
    // A new counter: its count (the ADD) fails.
    const fresh = newUser().username;
    await expect(countAttempt(failingOnce('ADD'), 'username', fresh, t0, 60)).rejects.toThrow(ServiceUnavailableError);
    // A window that has ended: the ADD's condition fails, as it should, and then starting over (the SET) fails.
    const ended = newUser().username;
    await countAttempt(deps.table, 'username', ended, t0, 60);
    await expect(countAttempt(failingOnce('SET'), 'username', ended, t0 + 60, 60)).rejects.toThrow(ServiceUnavailableError);
  });

  it('gives up after three rounds when the window keeps ending and reopening between its two writes', async () => {
    const name = newUser().username;
    const now = t0 + 100;
    const counter = (expiresAt: number) =>
      deps.table.client.send(new PutCommand({ TableName: deps.table.name, Item: { ...itemKeys.attempts('username', name), attempts: 7, expiresAt } }));
    // Race injection: before each count into the window, the window has just ended; before each start of a
    // new one, another attempt has just opened it. Only for four rounds, so a counter that went on past
    // three would then count (and fail this test) rather than hang it.
    const sent: string[] = [];
    const racing = interceptedTable(deps.table, async (command) => {
      const write = counterWrite(command);
      if (write === undefined || sent.push(write) > 8) return;
      await counter(write === 'ADD' ? now : now + 60);
    });
    await expect(countAttempt(racing, 'username', name, now, 60)).rejects.toEqual(new Error('attempt counter did not settle'));
    expect(sent).toEqual(['ADD', 'SET', 'ADD', 'SET', 'ADD', 'SET']);
  });
});

describe('refresh', () => {
  async function signedIn() {
    const input = await registered();
    return signIn(deps, { username: input.username, password: input.password });
  }

  it('rotates: the new token works, the old one is reuse and ends the session', async () => {
    const { refreshToken } = await signedIn();
    const second = await refreshSession(deps, refreshToken);
    expect(second.refreshToken).not.toBe(refreshToken);
    const third = await refreshSession(deps, second.refreshToken);

    await expect(refreshSession(deps, refreshToken)).rejects.toThrow(new RefreshTokenError('reused'));
    // The whole family is dead now, including the newest token.
    await expect(refreshSession(deps, third.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
  });

  it('lets exactly one of many concurrent refreshes of one token win, and leaves no live chain when they race', async () => {
    const { refreshToken } = await signedIn();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => refreshSession(deps, refreshToken)));
    // One conditional write marks the token used: exactly one wins it; every other one is reuse.
    // (A loser that reads the session after another loser revoked it finds it gone: `unknown`.)
    const outcomes = results.map((r) =>
      r.status === 'fulfilled' ? 'rotated' : r.reason instanceof RefreshTokenError ? r.reason.reason : `${r.reason} (cause: ${(r.reason as Error).cause})`,
    );
    expect(outcomes.filter((outcome) => outcome === 'rotated')).toHaveLength(1);
    const losers = outcomes.filter((outcome) => outcome !== 'rotated');
    expect(losers).toEqual(Array(9).fill(expect.stringMatching(/^(reused|unknown)$/)));
    expect(losers).toContain('reused');
    const [winner] = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof refreshSession>>> => r.status === 'fulfilled');
    // The losers' reuse ended the session: the winner's new token is dead too.
    await expect(refreshSession(deps, winner!.value.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
  });

  // Fault injection (a lost answer cannot be had from DynamoDB Local on demand): the request handler
  // under the SDK sends the first session write to the real table, then throws a timeout in place of
  // its answer, as a slow network does; the SDK's own retry sends it again and finds the token exchanged.
  it('a refresh whose write was applied but whose answer was lost (the SDK retries it) is not taken for reuse', async () => {
    const { refreshToken } = await signedIn();
    const dynamo = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: process.env.DYNAMODB_ENDPOINT,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });
    type Handle = (request: { headers: Record<string, string> }, options?: unknown) => Promise<unknown>;
    const handler = dynamo.config.requestHandler as unknown as { handle: Handle };
    const send: Handle = handler.handle.bind(handler);
    let lostAnswers = 0;
    handler.handle = async (request, options) => {
      const answer = await send(request, options);
      if (lostAnswers === 0 && String(request.headers['x-amz-target']).endsWith('.UpdateItem')) {
        lostAnswers++;
        throw Object.assign(new Error('socket timed out: answer lost'), { name: 'TimeoutError' });
      }
      return answer;
    };
    const lossyDeps = { ...deps, table: { client: DynamoDBDocumentClient.from(dynamo), name: deps.table.name } };
    try {
      const refreshed = await refreshSession(lossyDeps, refreshToken);
      expect(lostAnswers).toBe(1);
      // The session lives on, with the token this refresh handed out.
      expect((await refreshSession(deps, refreshed.refreshToken)).accessToken).toBeTruthy();
    } finally {
      dynamo.destroy();
    }
  });

  it('refuses an expired token and an unknown one with the tutorial messages', async () => {
    const { refreshToken } = await signedIn();
    await expect(refreshSession(deps, undefined)).rejects.toThrow('Refresh Token is required!');
    await expect(refreshSession(deps, 'not-a-token')).rejects.toThrow('Refresh token is not in database!');
    const saved = clock;
    clock = new Date(saved.getTime() + 3601_000);
    try {
      await expect(refreshSession(deps, refreshToken)).rejects.toThrow('Refresh token was expired. Please make a new signin request');
    } finally {
      clock = saved;
    }
  });

  it('with rotation off, returns the same token as the tutorial did', async () => {
    const { refreshToken } = await signedIn();
    const tutorial = { ...deps, config: { ...deps.config, refreshRotation: false } };
    expect((await refreshSession(tutorial, refreshToken)).refreshToken).toBe(refreshToken);
    expect((await refreshSession(tutorial, refreshToken)).refreshToken).toBe(refreshToken);
  });

  /** How many refresh.reuse events a user has (read straight from the table). */
  async function reuseEvents(userId: string) {
    const result = await deps.table.client.send(
      new QueryCommand({
        TableName: deps.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
        ExpressionAttributeValues: { ':pk': itemKeys.user(userId).pk, ':events': 'EVENT#' },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).filter((item) => item.eventType === 'refresh.reuse').length;
  }

  it('recognises reuse of any of the last REMEMBERED_TOKENS exchanged tokens: the session ends, recorded as refresh.reuse', async () => {
    for (let back = 1; back <= REMEMBERED_TOKENS; back++) {
      const { refreshToken, user } = await signedIn();
      const chain = [refreshToken];
      for (let i = 0; i < back; i++) chain.push((await refreshSession(deps, chain.at(-1))).refreshToken);
      await expect(refreshSession(deps, chain[chain.length - 1 - back])).rejects.toThrow(new RefreshTokenError('reused'));
      expect({ back, events: await reuseEvents(user.id) }).toEqual({ back, events: 1 });
      await expect(refreshSession(deps, chain.at(-1))).rejects.toThrow(new RefreshTokenError('ended'));
    }
  });

  it('refuses an exchanged token older than that as unknown, and a forged one naming the session, without ending the session', async () => {
    const { refreshToken, user } = await signedIn();
    const chain = [refreshToken];
    for (let i = 0; i <= REMEMBERED_TOKENS; i++) chain.push((await refreshSession(deps, chain.at(-1))).refreshToken);
    const [userId, sessionId, generation] = chain.at(-1)!.split('.');
    const forged = [chain[0]!, `${userId}.${sessionId}.${generation}.forged`, `${userId}.${sessionId}.0.forged`];
    for (const token of forged) await expect(refreshSession(deps, token)).rejects.toThrow(new RefreshTokenError('unknown'));
    expect(await reuseEvents(user.id)).toBe(0);
    expect(await refreshSession(deps, chain.at(-1))).toMatchObject({ refreshToken: expect.any(String) });
  });

  it('keeps tokens issued before (an item of their own) working: the first refresh moves the session, the old token is reuse after', async () => {
    const { user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    const moved = await refreshSession(deps, legacy.refreshToken);
    expect(moved.refreshToken.startsWith(`${user.id}.${legacy.sessionId}.0.`)).toBe(true);
    expect(await getSession(deps.table, user.id, legacy.sessionId)).toMatchObject({ tokenHash: hashOpaqueToken(moved.refreshToken), generation: 0 });
    // The old token's item is marked used, as read back.
    expect(await getRefreshToken(deps.table, hashOpaqueToken(legacy.refreshToken))).toMatchObject({
      userId: user.id,
      sessionId: legacy.sessionId,
      rotatedAt: clock.toISOString(),
    });
    const next = await refreshSession(deps, moved.refreshToken);
    await expect(refreshSession(deps, legacy.refreshToken)).rejects.toThrow(new RefreshTokenError('reused'));
    await expect(refreshSession(deps, next.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));

    // With rotation off, an old token stays as it is; and of concurrent first refreshes exactly one wins.
    const tutorial = { ...deps, config: { ...deps.config, refreshRotation: false } };
    const kept = await legacySession(user.id, user.credVersion);
    expect((await refreshSession(tutorial, kept.refreshToken)).refreshToken).toBe(kept.refreshToken);
    const raced = await legacySession(user.id, user.credVersion);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => refreshSession(deps, raced.refreshToken)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses a token as expired from the very second its session expires, of either shape, and one from before once past it', async () => {
    const { refreshToken, user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    const expired = await legacySession(user.id, user.credVersion);
    const saved = clock;
    // Sign-in's clock is on a whole second: the sessions' expiresAt is this very second.
    clock = new Date(saved.getTime() + deps.config.refreshTokenTtlSeconds * 1000);
    try {
      for (const token of [refreshToken, legacy.refreshToken]) await expect(refreshSession(deps, token)).rejects.toThrow(new RefreshTokenError('expired'));
      clock = new Date(clock.getTime() + 1000);
      await expect(refreshSession(deps, expired.refreshToken)).rejects.toThrow(new RefreshTokenError('expired'));
    } finally {
      clock = saved;
    }
  });

  it('with rotation off, refuses a token from before of a session opened before a password change', async () => {
    const { user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    expect(await changeCredentials(deps.table, user.id, { passwordHash: await hashPassword('another password', 4) })).toBe(true);
    const tutorial = { ...deps, config: { ...deps.config, refreshRotation: false } };
    await expect(refreshSession(tutorial, legacy.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
  });

  // Races made deterministic: the change is committed after the refresh read the session live, before its write is sent.
  const touchesSession = (command: unknown) => command instanceof UpdateCommand && command.input.UpdateExpression === 'SET lastUsedAt = :now';
  const movesToken = (command: unknown) => command instanceof TransactWriteCommand;

  it('with rotation off, refuses a token from before when its session is revoked between its read and its use being recorded', async () => {
    const { user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    const table = changingBefore(deps.table, touchesSession, () => revokeSession(deps.table, user.id, legacy.sessionId, clock.toISOString()));
    const tutorial = { ...deps, table, config: { ...deps.config, refreshRotation: false } };
    await expect(refreshSession(tutorial, legacy.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
    expect(table.injected).toBe(1);
  });

  it('refuses the first refresh of a token from before as ended (not reuse) when its session is revoked before the move is written', async () => {
    const { user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    const table = changingBefore(deps.table, movesToken, () => revokeSession(deps.table, user.id, legacy.sessionId, clock.toISOString()));
    await expect(refreshSession({ ...deps, table }, legacy.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
    expect(table.injected).toBe(1);
    // Nothing of the move was written: the token is not marked used, and no reuse was recorded.
    expect((await getRefreshToken(deps.table, hashOpaqueToken(legacy.refreshToken)))!.rotatedAt).toBeUndefined();
    expect(await reuseEvents(user.id)).toBe(0);
  });

  it('takes the loser of two first refreshes of a token from before for reuse: the winner moved the session between its read and its write', async () => {
    const { user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    let winner!: Awaited<ReturnType<typeof refreshSession>>;
    const table = changingBefore(deps.table, movesToken, async () => {
      winner = await refreshSession(deps, legacy.refreshToken);
    });
    await expect(refreshSession({ ...deps, table }, legacy.refreshToken)).rejects.toThrow(new RefreshTokenError('reused'));
    expect(table.injected).toBe(1);
    expect(await reuseEvents(user.id)).toBe(1);
    await expect(refreshSession(deps, winner.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
  });

  it('a failure of the exchange other than its condition (503) is thrown, never taken for a refusal: the session lives on', async () => {
    const { refreshToken } = await signedIn();
    // Fault injection (DynamoDB Local cannot throttle on demand): the session write fails as throttled.
    let failed = 0;
    const table = interceptedTable(deps.table, async (command) => {
      if (failed === 0 && command instanceof UpdateCommand) {
        failed++;
        throw throttling();
      }
    });
    await expect(refreshSession({ ...deps, table }, refreshToken)).rejects.toThrow(ServiceUnavailableError);
    expect(failed).toBe(1);
    expect(await refreshSession(deps, refreshToken)).toMatchObject({ refreshToken: expect.any(String) });
  });

  /** The reads a command makes, as sent: its kind and whether it asked for a consistent read. */
  const readOf = (command: unknown) => {
    if (command instanceof GetCommand) return { read: 'Get', consistent: command.input.ConsistentRead };
    if (command instanceof BatchGetCommand) return { read: 'BatchGet', consistent: command.input.RequestItems?.[deps.table.name]?.ConsistentRead };
    return undefined;
  };

  it('reads consistently on every path (a token from before in one BatchGet of its session and user; a refused token, its session once more)', async () => {
    const { refreshToken, user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    const sent: unknown[] = [];
    const table = interceptedTable(deps.table, async (command) => {
      sent.push(readOf(command) ?? (command as object).constructor.name);
    });
    await refreshSession({ ...deps, table }, legacy.refreshToken);
    expect(sent).toEqual([{ read: 'Get', consistent: true }, { read: 'BatchGet', consistent: true }, 'TransactWriteCommand']);
    sent.length = 0;
    await refreshSession(deps, refreshToken);
    // The user, the refused write, the session read to tell why (reuse), then its revocation and the event.
    await expect(refreshSession({ ...deps, table }, refreshToken)).rejects.toThrow(new RefreshTokenError('reused'));
    expect(sent.slice(0, 3)).toEqual([{ read: 'Get', consistent: true }, 'UpdateCommand', { read: 'Get', consistent: true }]);
  });

  it('falls back to plain consistent reads when the BatchGet leaves the session unprocessed', async () => {
    const { user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    const sessionKey = itemKeys.session(user.id, legacy.sessionId);
    // Fault injection (DynamoDB Local processes every key): the real answer, less the session, reported unprocessed.
    const partial = alteringAnswer(
      deps.table,
      (command) => command instanceof BatchGetCommand,
      (answer) => {
        const { Responses } = answer as { Responses: Record<string, Record<string, unknown>[]> };
        return {
          ...(answer as object),
          Responses: { [deps.table.name]: Responses[deps.table.name]!.filter((item) => item.sk !== sessionKey.sk) },
          UnprocessedKeys: { [deps.table.name]: { Keys: [sessionKey], ConsistentRead: true } },
        };
      },
    );
    const sent: unknown[] = [];
    const table = interceptedTable(partial, async (command) => {
      sent.push(readOf(command) ?? (command as object).constructor.name);
    });
    const moved = await refreshSession({ ...deps, table }, legacy.refreshToken);
    expect(partial.injected).toBe(1);
    expect(moved.refreshToken.startsWith(`${user.id}.${legacy.sessionId}.0.`)).toBe(true);
    expect(sent.slice(1, 4)).toEqual([
      { read: 'BatchGet', consistent: true },
      { read: 'Get', consistent: true },
      { read: 'Get', consistent: true },
    ]);
  });

  it('revoking every session counts only those it revoked itself, not one revoked since they were listed', async () => {
    const { user } = await signedIn();
    const [session] = await listSessionItems(deps.table, user.id);
    const table = changingBefore(
      deps.table,
      (command) => command instanceof UpdateCommand && command.input.UpdateExpression === 'SET revokedAt = :now',
      () => revokeSession(deps.table, user.id, session!.sessionId, clock.toISOString()),
    );
    expect(await revokeAllSessions(table, user.id, clock.toISOString())).toBe(0);
    expect(table.injected).toBe(1);
    const other = await signedIn();
    expect(await revokeAllSessions(deps.table, other.user.id, clock.toISOString())).toBe(1);
  });

  it('signs out with the current or an exchanged token, never with a forged one', async () => {
    const { refreshToken, user } = await signedIn();
    const second = await refreshSession(deps, refreshToken);
    const [userId, sessionId] = second.refreshToken.split('.');
    await expect(signOut(deps, `${userId}.${sessionId}.1.forged`)).rejects.toThrow(new RefreshTokenError('unknown'));
    expect((await getSession(deps.table, user.id, sessionId!))!.revokedAt).toBeUndefined();
    await signOut(deps, refreshToken);
    expect((await getSession(deps.table, user.id, sessionId!))!.revokedAt).toEqual(expect.any(String));
    await expect(refreshSession(deps, second.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
    // No oracle: a token naming the ended session without its secret learns nothing of it.
    await expect(refreshSession(deps, `${userId}.${sessionId}.1.forged`)).rejects.toThrow(new RefreshTokenError('unknown'));
    const legacy = await legacySession(user.id, user.credVersion);
    await signOut(deps, legacy.refreshToken);
    await expect(refreshSession(deps, legacy.refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
  });
});

describe('credentials version', () => {
  async function signedIn() {
    const input = await registered();
    return { input, ...(await signIn(deps, { username: input.username, password: input.password })) };
  }

  it('a session cannot be opened under credentials that changed after they were checked', async () => {
    const input = await registered();
    const checked = (await findUserByUsername(deps.table, input.username))!;
    expect(await changeCredentials(deps.table, checked.id, { passwordHash: await hashPassword('another password', 4) })).toBe(true);
    const record = { tokenHash: hashOpaqueToken(`t-${checked.id}`), generation: 0, createdAt: clock.toISOString(), expiresAt: 2_000_000_000 };
    const session = {
      userId: checked.id,
      sessionId: 's1',
      createdAt: record.createdAt,
      lastUsedAt: record.createdAt,
      userAgent: undefined,
      ip: undefined,
      expiresAt: record.expiresAt,
      credVersion: checked.credVersion,
    };
    expect(await createSession(deps.table, session, record, eventToWrite(deps, checked.id, 'signin.success'))).toBe(false);
    // Nothing of it was stored.
    expect(await getSession(deps.table, checked.id, 's1')).toBeUndefined();
    expect(
      await createSession(deps.table, { ...session, credVersion: checked.credVersion + 1 }, record, eventToWrite(deps, checked.id, 'signin.success')),
    ).toBe(true);
    // A session id already taken is no credentials change: a refusal nobody expects, thrown.
    await expect(createSession(deps.table, { ...session, credVersion: checked.credVersion + 1 }, record)).rejects.toThrow(
      'transaction refused by the conditions of items 0',
    );
  });

  it('ends sessions opened before a password change: refresh refuses their tokens, of either shape', async () => {
    const { refreshToken, user } = await signedIn();
    const legacy = await legacySession(user.id, user.credVersion);
    const rotated = await refreshSession(deps, refreshToken);
    expect(await changeCredentials(deps.table, user.id, { passwordHash: await hashPassword('another password', 4) })).toBe(true);
    for (const token of [rotated.refreshToken, legacy.refreshToken]) await expect(refreshSession(deps, token)).rejects.toThrow(new RefreshTokenError('ended'));
    // Refused, not exchanged: the session still holds the token, so this was no reuse.
    expect((await getSession(deps.table, user.id, rotated.refreshToken.split('.')[1]!))!.tokenHash).toBe(hashOpaqueToken(rotated.refreshToken));
  });

  // Found by the model run (issue 28, seed -956059549): two password changes checked against one
  // password at once both answered 200, the later silently replacing the earlier.
  it('a password change refuses (401) when the credentials changed after its current password was checked, and leaves them as they are', async () => {
    const { input, accessToken } = await signedIn();
    const caller = await verifyAccessToken(deps.keys, accessToken, { ...settings, now: clock });
    const table = changingBefore(deps.table, writesProfile(caller.userId), async () =>
      expect(await changeCredentials(deps.table, caller.userId, { passwordHash: await hashPassword('the first change', 4) })).toBe(true),
    );
    const second = changePassword({ ...deps, table }, caller, { currentPassword: input.password, newPassword: 'the second change' }, client.ip);
    await expect(second).rejects.toThrow(UnauthorizedError);
    expect(table.injected).toBe(1);
    const stored = (await findUserByUsername(deps.table, input.username))!;
    expect(await verifyPassword('the first change', stored.passwordHash)).toBe(true);
    // Without a change in between, the same request succeeds.
    const fresh = await signedIn();
    const freshCaller = await verifyAccessToken(deps.keys, fresh.accessToken, { ...settings, now: clock });
    await changePassword(deps, freshCaller, { currentPassword: fresh.input.password, newPassword: 'the only change' }, client.ip);
    expect(await verifyPassword('the only change', (await findUserByUsername(deps.table, fresh.input.username))!.passwordHash)).toBe(true);
  });

  it('ends sessions opened before a role change: refresh refuses them', async () => {
    const { refreshToken, user } = await signedIn();
    expect(await changeRoles(deps.table, user.id, ['user', 'moderator'])).toBe('done');
    await expect(refreshSession(deps, refreshToken)).rejects.toThrow(new RefreshTokenError('ended'));
  });

  it('grants roles at sign-up only while the granting user is an admin as stored, whatever its token says', async () => {
    const granter = await registerUser(deps, newUser('granter'), ['user', 'admin'], undefined);
    // Another admin, so the granter is not the last one (whose demotion would be refused).
    await registerUser(deps, newUser('other'), ['user', 'admin'], undefined);
    const claims = { userId: granter.id, roles: ['admin' as const], sessionId: 's' };
    expect((await signUp(deps, { ...newUser(), roles: ['moderator'] }, claims)).roles).toEqual(['moderator']);
    expect(await changeRoles(deps.table, granter.id, ['user'])).toBe('done');
    await expect(signUp(deps, { ...newUser(), roles: ['moderator'] }, claims)).rejects.toThrow(new ForbiddenError('Require Admin Role!'));
  });
});

describe('admin bootstrap', () => {
  it('creates an admin, and never promotes an existing user silently', async () => {
    const operator = newUser('ops');
    expect(await ensureAdmin(deps, operator)).toBe('created');
    expect(await ensureAdmin(deps, operator)).toBe('unchanged');

    const squatter = await registered();
    const claim = { username: squatter.username, email: 'ops@example.com', password: 'operator password' };
    await expect(ensureAdmin(deps, claim)).rejects.toThrow(/different email/);
    await expect(ensureAdmin(deps, claim, { promote: true })).rejects.toThrow(/different email/);
    expect((await findUserByUsername(deps.table, squatter.username))!.roles).toEqual(['user']);

    const own = { ...claim, email: squatter.email };
    await expect(ensureAdmin(deps, own)).rejects.toThrow(/--promote/);
    expect(await ensureAdmin(deps, own, { promote: true })).toBe('promoted');
    const promoted = (await findUserByUsername(deps.table, squatter.username))!;
    expect(promoted.roles).toEqual(['user', 'moderator', 'admin']);
    // Its own password, not the operator's.
    expect(await verifyPassword(squatter.password, promoted.passwordHash)).toBe(true);
  });
});

describe('user deletion', () => {
  it('deletes the refresh tokens too (their sessions, and items of tokens from before), rotated ones included', async () => {
    const input = await registered();
    const first = await signIn(deps, { username: input.username, password: input.password });
    const second = await refreshSession(deps, first.refreshToken);
    const other = await signIn(deps, { username: input.username, password: input.password });
    const legacy = await legacySession(first.user.id);
    await deleteUser(deps, first.user.id);
    expect(await listSessionItems(deps.table, first.user.id)).toEqual([]);
    expect(await getRefreshToken(deps.table, hashOpaqueToken(legacy.refreshToken))).toBeUndefined();
    for (const token of [first.refreshToken, second.refreshToken, other.refreshToken, legacy.refreshToken])
      await expect(refreshSession(deps, token)).rejects.toThrow(new RefreshTokenError('unknown'));
  });
});
