/**
 * `npm run bench`: every hot path against its physical limit, on this machine. Starts DynamoDB Local
 * (and serverless-offline for the HTTP part, and `npm start` itself for the footprint) on free loopback
 * ports, runs, stops them, prints one table and writes bench/results/latest.json. Targets are printed as
 * met or not; the run never fails on them. `npm run bench -- --only footprint` (or in-process, round-trips,
 * cold-start, http) runs one section; `--watch` measures the footprint of `npm start -- --watch` instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomUUID, verify as cryptoVerify } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { decodeJwt, jwtVerify } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { parse } from 'yaml';
import { freePort, startApiStack, startDatabase } from '../scripts/local-stack';
import { importSigningKeys, newKeySet, splitKeySet } from '../lib/access/signing-keys';
import { importKeyParts, inlineKeyEnv } from '../scripts/local-keys';
import { Deadline } from '../lib/shared/deadline';
import { apiEvent, authorizerEvent } from '../scripts/lambda-events';
import { processTree, residentMemory } from '../scripts/process-tree';
import { stopChild } from '../scripts/start-and-wait';
import { enumerationTiming } from './enumeration';
import { costTable, costTargets, HEAVY_USER, occurrences, type OperationCost, printCostTables, type Units } from './cost';
import { busiestKeys, type OperationLoad, printLoadTable, recordPartitions, usageRate } from './load-model';
import { figure, sample, table, withLimit, withTarget, type Figure } from './stats';
import { startLatencyProxy } from './latency-proxy';
import { assert, createCredential, type SoftCredential, signedData } from '../scripts/soft-authenticator';

const ROOT = join(__dirname, '..');
const figures: Figure[] = [];
const log = (text: string) => process.stderr.write(`${text}\n`);

const proxyEvent = (body: unknown) => apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * The handlers log one JSON line per call, as they do on Lambda, so building and writing it stays in
 * the measurement; the thousands of lines themselves would bury the table, so they go nowhere here.
 */
function dropLogLines(): () => void {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"level":')) {
      if (chunk.startsWith('{"level":"DEBUG"')) loggedBytes.debug += Buffer.byteLength(chunk);
      else loggedBytes.other += Buffer.byteLength(chunk);
      return true;
    }
    return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}

/** The bytes of the log lines dropped so far: DEBUG (sampled invocations only) and the rest. */
const loggedBytes = { debug: 0, other: 0 };

/** The deployed sample rate (serverless.yml: LOG_SAMPLE_RATE, default 0.01): the handlers log with it here too. */
const SAMPLE_RATE = Number(process.env.LOG_SAMPLE_RATE ?? '0.01');

/** A Lambda context as Lambda passes one, so the log lines carry what they carry there (function name, ARN, request id). */
function lambdaContext(fn: string): Context {
  const name = `lambda-jwt-auth-prod-${fn}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2026/12/02/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The bytes one call logs, as CloudWatch would ingest them at the sample rate: the lines always written
 * (refusals, failures, security events, INFO and above), plus SAMPLE_RATE times the lines only sampled
 * invocations write (a served request's DEBUG line), measured by running the calls once more with DEBUG
 * lines written as INFO.
 */
async function logBytesPerCall(calls: number, call: (i: number) => Promise<unknown>): Promise<{ always: number; sampled: number; expected: number }> {
  const { logger } = await import('../lib/shared/log');
  const run = async (offset: number) => {
    const before = loggedBytes.other;
    for (let i = 0; i < calls; i++) await call(offset + i);
    return (loggedBytes.other - before) / calls;
  };
  const always = await run(0);
  const debug = logger.debug;
  logger.debug = logger.info.bind(logger) as typeof logger.debug;
  let all: number;
  try {
    all = await run(calls);
  } finally {
    logger.debug = debug;
  }
  const sampled = Math.max(0, all - always);
  return { always, sampled, expected: always + SAMPLE_RATE * sampled };
}

/**
 * In-process handlers hand mail jobs to Lambda's Invoke API: this stands in for Lambda accepting an
 * asynchronous invoke (202, as Lambda answers), so the handlers' timings include that HTTP round trip.
 * The jobs themselves are measured apart (measureOperations runs the mailer's domain code).
 */
async function lambdaAcceptor(): Promise<{ url: string; invocations: () => number; close(): void }> {
  let invocations = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      invocations++;
      response.writeHead(202, { 'content-type': 'application/json' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, invocations: () => invocations, close: () => server.close() };
}

/** The in-process handlers' environment (read once, at their import): one client, hundreds of calls. */
function benchEnv(keySet: string, database: { tableName: string }, dynamodbEndpoint: string, lambdaEndpoint: string): Record<string, string> {
  return {
    LAMBDA_ENDPOINT: lambdaEndpoint,
    // One client asking for hundreds of reset links must not meet the per-IP limit.
    EMAIL_IP_THRESHOLD: '1000000',
    SIGNUP_IP_THRESHOLD: '1000000',
    TABLE_NAME: database.tableName,
    DYNAMODB_ENDPOINT: dynamodbEndpoint,
    ...inlineKeyEnv(splitKeySet(keySet, new Date())),
    AUTHORIZER_CACHE_TTL: '30',
    POWERTOOLS_LOGGER_SAMPLE_RATE: String(SAMPLE_RATE),
    // One client signing in hundreds of times must not meet the lockout.
    LOCKOUT_THRESHOLD: '1000',
    LOCKOUT_IP_THRESHOLD: '1000000',
    WEBAUTHN_ORIGINS: PASSKEY_ORIGIN,
  };
}

async function inProcess(keySet: string): Promise<void> {
  const database = await startDatabase({ port: await freePort() });
  const restoreStdout = dropLogLines();
  const lambda = await lambdaAcceptor();
  try {
    Object.assign(process.env, benchEnv(keySet, database, database.dynamo.endpoint, lambda.url));
    const { config } = await import('../lib/shared/config');
    const cost = config().bcryptCost;
    const signup = (await import('../handlers/auth/signup')).handler;
    const signin = (await import('../handlers/auth/signin')).handler;
    const forgot = (await import('../handlers/auth/password-forgot')).handler;
    const refresh = (await import('../handlers/auth/refresh')).handler;
    const authorizer = (await import('../handlers/access/authorizer')).handler;
    const { authorize } = await import('../lib/access/authenticate');
    const { authenticateDeps } = await import('../lib/access/deps');
    const { createTable } = await import('../lib/store/table');

    log('in-process: sign-up, sign-in, refresh, authorizer …');
    // DynamoDB Local's first transactions (its JIT, cold) can outlast a request's deadline on a loaded
    // machine: a few untimed sign-ups first, until one is served.
    for (let i = 0; i < 5; i++) {
      const name = `warm_${process.pid}_${i}`;
      const result = await signup(proxyEvent({ username: name, email: `${name}@example.com`, password: 'bench password' }));
      if (result.statusCode === 200) break;
    }
    let n = 0;
    const signUpSamples = await sample(
      async () => {
        const name = `bench_${process.pid}_${n++}`;
        const result = await signup(proxyEvent({ username: name, email: `${name}@example.com`, password: 'bench password' }));
        if (result.statusCode !== 200) throw new Error(`sign-up: ${result.body}`);
      },
      { warmup: 3, iterations: 30 },
    );
    let f = 0;
    const forgotSamples = await sample(
      async () => {
        const result = await forgot(proxyEvent({ email: `bench_${process.pid}_${f++ % 40}@example.com` }));
        if (result.statusCode !== 202) throw new Error(`forgot: ${result.body}`);
      },
      { warmup: 10, iterations: 300 },
    );
    if (lambda.invocations() < 330) throw new Error('the mail jobs did not reach the Lambda stand-in');
    const user = `bench_${process.pid}_0`;
    let lastSignIn: { accessToken: string; refreshToken: string } | undefined;
    const signInSamples = await sample(
      async () => {
        const result = await signin(proxyEvent({ username: user, password: 'bench password' }));
        if (result.statusCode !== 200) throw new Error(`sign-in: ${result.body}`);
        lastSignIn = JSON.parse(result.body) as { accessToken: string; refreshToken: string };
      },
      { warmup: 3, iterations: 30 },
    );
    let refreshToken = lastSignIn!.refreshToken;
    const refreshSamples = await sample(
      async () => {
        const result = await refresh(proxyEvent({ refreshToken }));
        if (result.statusCode !== 200) throw new Error(`refresh: ${result.body}`);
        refreshToken = (JSON.parse(result.body) as { refreshToken: string }).refreshToken;
      },
      { warmup: 10, iterations: 300 },
    );

    const signout = (await import('../handlers/auth/signout')).handler;
    const content = (await import('../handlers/content/user')).handler;
    const signOutTokens: string[] = [];
    for (let i = 0; i < 33; i++) {
      const result = await signin(proxyEvent({ username: user, password: 'bench password' }));
      signOutTokens.push((JSON.parse(result.body) as { refreshToken: string }).refreshToken);
    }
    const signOutSamples = await sample(
      async () => {
        const result = await signout(proxyEvent({ refreshToken: signOutTokens.pop() }));
        if (result.statusCode !== 200) throw new Error(`sign-out: ${result.body}`);
      },
      { warmup: 3, iterations: 30 },
    );
    const contentEvent = apiEvent({ authorizer: { userId: 'u', sessionId: 's', roles: '["user"]' } });
    const contentSamples = await sample(() => content(contentEvent), { warmup: 100, iterations: 2000 });

    // The limits: one bcrypt compare at the configured cost, one DynamoDB round trip, one bare verify.
    const hash = await bcrypt.hash('bench password', cost);
    const bcryptSamples = await sample(() => bcrypt.compare('bench password', hash), { warmup: 2, iterations: 30 });
    const table = createTable(config());
    const roundTrip = await sample(
      () => table.client.send(new GetCommand({ TableName: table.name, Key: { pk: 'USER#none', sk: 'PROFILE' }, ConsistentRead: true })),
      { warmup: 50, iterations: 1000 },
    );
    const token = lastSignIn!.accessToken;
    const publicKey = (await importSigningKeys(keySet)).verifiers.get('bench')!;
    const bareVerify = await sample(() => jwtVerify(token, publicKey, { algorithms: ['RS256'] }), { warmup: 500, iterations: 5000 });
    const event = authorizerEvent({ 'x-access-token': token });
    const authorizerHit = await sample(() => authorizer(event), { warmup: 500, iterations: 5000 });
    // As in the authorizer: one deadline per request.
    const authorizerMiss = await sample(
      async () => {
        const deadline = Deadline.forRequest();
        try {
          return await authorize(await authenticateDeps({ cached: false, deadline }), { 'x-access-token': token }, new Date());
        } finally {
          deadline.dispose();
        }
      },
      { warmup: 50, iterations: 1000 },
    );

    const bcryptFig = figure(`bcrypt compare (cost ${cost})`, bcryptSamples);
    const rt = figure('DynamoDB round trip (GetItem)', roundTrip);
    const verify = figure('jose verify RS256 (bare)', bareVerify);
    figures.push(verify, rt, bcryptFig);
    figures.push(withLimit(figure('authorizer handler, warm, cache hit', authorizerHit), 'bare verify', verify.median, 1.3));
    // No target in the issue for the miss: this says what the revocation read adds.
    figures.push(withLimit(figure('authorizer, cache miss (verify + session read)', authorizerMiss), 'verify + 1 round trip', verify.median + rt.median));
    figures.push(withLimit(figure('sign-in handler', signInSamples), 'bcrypt + 1 round trip', bcryptFig.median + rt.median, 1.15));
    figures.push(withLimit(figure('refresh handler (rotation on)', refreshSamples), '1 round trip', rt.median));
    figures.push(withLimit(figure('sign-up handler', signUpSamples), `bcrypt hash ≈ compare`, bcryptFig.median));
    // Equal work for every address: one counter update, one asynchronous invoke.
    figures.push(withLimit(figure('forgot-password handler (async invoke of the mailer)', forgotSamples), '2 round trips', 2 * rt.median));
    figures.push(figure('sign-out handler', signOutSamples));
    figures.push(figure('content function (GET /api/test/user), warm', contentSamples));

    // What each function logs per call, with a Lambda context as on Lambda (and the X-Ray trace id Lambda sets).
    process.env._X_AMZN_TRACE_ID = 'Root=1-674d8e2a-5a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=0';
    log('log bytes per call, with a Lambda context …');
    const loggedIn: string[] = [];
    const logs: Record<string, number> = {};
    const sampledLine: Record<string, number> = {};
    const perCall = async (name: string, calls: number, call: (i: number) => Promise<unknown>) => {
      const bytes = await logBytesPerCall(calls, call);
      logs[name] = bytes.expected;
      sampledLine[name] = bytes.sampled;
      figures.push({
        name: `log bytes per call: ${name} (always ${bytes.always.toFixed(0)}, sampled ${bytes.sampled.toFixed(0)})`,
        unit: 'B',
        median: bytes.expected,
        p99: null,
        samples: calls,
      });
    };
    const signupLogged = (request: ReturnType<typeof proxyEvent>) => signup(request, lambdaContext('signup'));
    await perCall('sign-up', 5, (i) =>
      signupLogged(proxyEvent({ username: `logs_${process.pid}_${i}`, email: `logs_${process.pid}_${i}@example.com`, password: 'bench password' })),
    );
    const forgotLogged = (request: ReturnType<typeof proxyEvent>) => forgot(request, lambdaContext('password-forgot'));
    await perCall('forgot-password', 10, (i) => forgotLogged(proxyEvent({ email: `bench_${process.pid}_${i % 40}@example.com` })));
    const signinLogged = (request: ReturnType<typeof proxyEvent>) => signin(request, lambdaContext('signin'));
    await perCall('sign-in', 10, async () => {
      const result = await signinLogged(proxyEvent({ username: user, password: 'bench password' }));
      loggedIn.push((JSON.parse(result.body) as { refreshToken: string }).refreshToken);
    });
    const refreshLogged = (request: ReturnType<typeof proxyEvent>) => refresh(request, lambdaContext('refresh'));
    let chained = loggedIn.pop()!;
    await perCall('refresh', 20, async () => {
      const result = await refreshLogged(proxyEvent({ refreshToken: chained }));
      chained = (JSON.parse(result.body) as { refreshToken: string }).refreshToken;
    });
    const signoutLogged = (request: ReturnType<typeof proxyEvent>) => signout(request, lambdaContext('signout'));
    await perCall('sign-out', 9, async () => signoutLogged(proxyEvent({ refreshToken: loggedIn.pop() ?? chained })));
    const authorizerLogged = (request: typeof event) => authorizer(request, lambdaContext('authorizer'));
    await perCall('authorizer', 50, () => authorizerLogged(event));
    const contentLogged = (request: typeof contentEvent) => content(request, lambdaContext('userContent'));
    await perCall('application request (content function)', 50, () => contentLogged(contentEvent));
    const mfa = await mfaVerifySamples(user);
    logs['MFA verify'] = mfa.logBytes + SAMPLE_RATE * sampledLine['sign-in']!;
    figures.push({
      name: 'log bytes per call: MFA verify (its security events; its request line sampled)',
      unit: 'B',
      median: logs['MFA verify'],
      p99: null,
      samples: mfa.samples.length,
    });
    figures.push(withLimit(figure('MFA verify (TOTP code), in-process', mfa.samples), '4 round trips', 4 * rt.median));
    operationCosts = await measureOperations(keySet, mfa.units, logs, {
      'sign-up': figure('', signUpSamples).median,
      'sign-in': figure('', signInSamples).median,
      refresh: figure('', refreshSamples).median,
      forgot: figure('', forgotSamples).median,
      authorizerHit: figure('', authorizerHit).median,
      authorizerMiss: figure('', authorizerMiss).median,
      'sign-out': figure('', signOutSamples).median,
      content: figure('', contentSamples).median,
      'MFA verify': figure('', mfa.samples).median,
    });
    figures.push({ name: 'peak RSS, in-process runs', unit: 'MB', median: process.resourceUsage().maxRSS / 1024, p99: null, samples: 1 });
  } finally {
    restoreStdout();
    lambda.close();
    await database.dynamo.stop();
  }
}

/**
 * The second step of an MFA sign-in (lib/account/mfa.ts verifySecondFactor), measured alone: the user
 * enrols once; each sample gets a fresh challenge (untimed) and the next 30-second step, on a clock of
 * our own, so no code is a replay. What it costs: verify the mfaToken, count the attempt, read the
 * challenge, state and profile, spend the step and the challenge, open the session.
 */
async function mfaVerifySamples(username: string): Promise<{ samples: number[]; units: Units; logBytes: number }> {
  const { runtimeSecondFactorDeps } = await import('../lib/account/deps');
  const { confirmTotp, setupTotp, startChallenge, verifySecondFactor } = await import('../lib/account/mfa');
  const { signIn } = await import('../lib/account/sign-in');
  const { findUserByUsername } = await import('../lib/store/users');
  let clockMs = Date.now();
  const deadline = Deadline.forRequest(undefined, 600_000);
  const deps = { ...(await runtimeSecondFactorDeps({ deadline, sourceIp: '127.0.0.1', userAgent: 'bench' })), now: () => new Date(clockMs) };
  const first = await signIn(deps, { username, password: 'bench password' });
  if ('mfaRequired' in first) throw new Error('bench user already has MFA');
  const caller = { userId: first.user.id, roles: first.user.roles, sessionId: decodeJwt(first.accessToken).sid as string };
  const { secret } = await setupTotp(deps, caller, 'bench password', '127.0.0.1');
  const code = () => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: clockMs });
  await confirmTotp(deps, caller, code());
  const user = await findUserByUsername(deps.table, username);
  if (!user) throw new Error('bench user vanished');
  const samples: number[] = [];
  // The second step's own request units and log lines (the challenge's are sign-in's), summed over the runs.
  const partitions = recordPartitions(deps.table);
  const units = { read: 0, write: 0 };
  let logBytes = 0;
  for (let i = 0; i < 105; i++) {
    clockMs += 30_000;
    const { mfaToken } = await startChallenge(deps, user);
    partitions.take();
    const logged = loggedBytes.other;
    const start = process.hrtime.bigint();
    await verifySecondFactor(deps, { mfaToken, code: code() });
    if (i >= 5) samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    logBytes += loggedBytes.other - logged;
    for (const entry of partitions.take().values()) {
      units.read += entry.units.read;
      units.write += entry.units.write;
    }
  }
  deadline.dispose();
  return { samples: samples.sort((a, b) => a - b), units: { read: units.read / 105, write: units.write / 105 }, logBytes: logBytes / 105 };
}

let operationCosts: OperationCost[] = [];
let loadModel: OperationLoad = {};

/**
 * The load model's two scenarios (docs/design.md "Admin list and search at scale"): the cost model's usage at
 * 1M MAU with a peak of 10× the month's average rate, and a burst of 10,000 sign-ups a second. One
 * client (one user, one IP, one username) is taken to send at most 50 requests a second to one route:
 * the stage's throttling of the public routes.
 */
function loadScenarios() {
  const oneClient = Object.fromEntries(Object.keys(loadModel).map((operation) => [operation, 50]));
  return [
    {
      title: 'load model: 1M MAU, peak = 10x the monthly average rate',
      rows: busiestKeys(loadModel, usageRate(occurrences(HEAVY_USER, 1), 1_000_000, 10), oneClient),
    },
    { title: 'load model: a burst of 10,000 sign-ups a second', rows: busiestKeys(loadModel, { 'sign-up': 10_000 }, { 'sign-up': 1 }) },
  ];
}

/**
 * SES's answer time is not measured here (the emulator is local): an assumed 60 ms per SendEmail call
 * from Lambda, billed as mailer time. A guess, stated in docs/performance.md; it moves the total by cents.
 */
const MAILER_SES_MS = 60;

/**
 * Request units per operation, as DynamoDB Local reports them, from the same domain code the handlers
 * run (the average of a few runs), with the handlers' median durations from this run as Lambda time.
 * An authorized request runs the authorizer and the route's function (counted at Lambda's 1 ms minimum
 * beside the authorizer's own time); its cache miss reads what the authorizer's BatchGetItem reads.
 */
async function measureOperations(keySet: string, mfaUnits: Units, logs: Record<string, number>, medianMs: Record<string, number>): Promise<OperationCost[]> {
  const { config } = await import('../lib/shared/config');
  const { createTable } = await import('../lib/store/table');
  const { accountDeps } = await import('../lib/account/types');
  const { signUp } = await import('../lib/account/sign-up');
  const { signIn } = await import('../lib/account/sign-in');
  const { refreshSession } = await import('../lib/account/refresh');
  const { signOut } = await import('../lib/account/sessions');
  const { getSessionWithUser } = await import('../lib/store/sessions');
  const { deliverMail } = await import('../lib/account/mail-delivery');
  const { requestMail } = await import('../lib/account/email-links');
  const table = createTable(config());
  const partitions = recordPartitions(table);
  // Mail jobs run here and now through the mailer's own code, so their units count with the operation
  // that caused them; the mailer's time is measured apart (SES itself is not: see MAILER_SES_MS).
  const mailerMs: number[] = [];
  let emails = 0;
  // The mailer's clock runs ahead once sign-up's links are out: forgot is measured as a user asks a
  // minute after sign-up (its link took the address's quota minute, and a refused mail costs less).
  let mailerAhead = 0;
  const mailer = { table, now: () => new Date(Date.now() + mailerAhead), config: config(), send: async () => void emails++ };
  const inlineMail = {
    enqueue: async (job: import('../lib/email/queue').MailJob) => {
      const started = process.hrtime.bigint();
      await deliverMail(mailer, job);
      mailerMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    },
  };
  const deps = { ...accountDeps(table, config()), keys: await importKeyParts(keySet), mail: inlineMail };
  const runs = 5;
  const load: OperationLoad = {};
  // Per operation: the units on each kind of key, and their sum (the cost model's units), per run.
  const average = async (work: (i: number) => Promise<unknown>, operation?: string) => {
    partitions.take();
    for (let i = 0; i < runs; i++) await work(i);
    const recorded = partitions.take();
    const total = { read: 0, write: 0 };
    for (const entry of recorded.values()) {
      entry.units = { read: entry.units.read / runs, write: entry.units.write / runs };
      total.read += entry.units.read;
      total.write += entry.units.write;
    }
    if (operation) load[operation] = recorded;
    return total;
  };
  const name = (i: number) => `cost_${process.pid}_${i}`;
  const signUps = await average((i) => signUp(deps, { username: name(i), email: `${name(i)}@example.com`, password: 'bench password' }, undefined), 'sign-up');
  mailerAhead = 61_000;
  const forgots = await average((i) => requestMail(deps, { kind: 'reset-password', email: `${name(i)}@example.com` }), 'forgot-password');
  if (emails !== 2 * runs) throw new Error(`expected ${2 * runs} mails, the mailer sent ${emails}`);
  const mailerBilled = Math.ceil(mailerMs.sort((a, b) => a - b)[Math.floor(mailerMs.length / 2)]! + MAILER_SES_MS);
  const sessions: { refreshToken: string; accessToken: string; userId: string }[] = [];
  const signIns = await average(async (i) => {
    const outcome = await signIn(deps, { username: name(i), password: 'bench password' });
    if ('mfaRequired' in outcome) throw new Error('unexpected MFA');
    sessions.push({ refreshToken: outcome.refreshToken, accessToken: outcome.accessToken, userId: outcome.user.id });
  }, 'sign-in');
  const refreshes = await average(async (i) => {
    sessions[i]!.refreshToken = (await refreshSession(deps, sessions[i]!.refreshToken)).refreshToken;
  }, 'refresh');
  const sessionReads = await average(
    (i) => getSessionWithUser(table, sessions[i]!.userId, decodeJwt(sessions[i]!.accessToken).sid as string),
    'authorizer, cache miss',
  );
  const signOuts = await average((i) => signOut(deps, sessions[i]!.refreshToken), 'sign-out');
  loadModel = load;
  figures.push(...(await eventWriteCost(deps, sessions[0]!.userId)));
  table.client.destroy();
  const billed = (ms: number) => Math.max(1, Math.ceil(ms));
  const op = (
    name: OperationCost['name'],
    units: Units,
    ms: number,
    logBytes: number,
    { invocations = 1, emails: emailsSent = 0, apiRequests = 1 } = {},
  ): OperationCost => ({
    name,
    readUnits: units.read,
    writeUnits: units.write,
    lambdaInvocations: invocations,
    lambdaMs: ms,
    apiRequests,
    emails: emailsSent,
    logBytes,
  });
  return [
    // With the mailer's invocation and its mail (the verification link; the reset link). The mailer's own
    // line ("mail job", one per mail) is not measured: it needs SES; 0.15 mails per user and month.
    op('sign-up', signUps, billed(medianMs['sign-up']!) + mailerBilled, logs['sign-up']!, { invocations: 2, emails: 1 }),
    op('forgot-password', forgots, billed(medianMs.forgot!) + mailerBilled, logs['forgot-password']!, { invocations: 2, emails: 1 }),
    op('sign-in', signIns, billed(medianMs['sign-in']!), logs['sign-in']!),
    op('MFA verify', mfaUnits, billed(medianMs['MFA verify']!), logs['MFA verify']!),
    op('refresh', refreshes, billed(medianMs.refresh!), logs.refresh!),
    op('sign-out', signOuts, billed(medianMs['sign-out']!), logs['sign-out']!),
    // The authorizer's own part of an application request: no gateway request (that is the application's).
    op('authorizer, cache hit', { read: 0, write: 0 }, billed(medianMs.authorizerHit!), logs.authorizer!, { apiRequests: 0 }),
    op('authorizer, cache miss', sessionReads, billed(medianMs.authorizerMiss!), logs.authorizer!, { apiRequests: 0 }),
    // The application's request: its gateway request and its content function, on either side of the comparison.
    op('application request', { read: 0, write: 0 }, billed(medianMs.content!), logs['application request (content function)']!),
  ];
}

/**
 * What recording `signin.success` costs a sign-in: the session transaction with and without the event
 * item, interleaved (one of each per round, in alternating order), so machine noise falls on both.
 */
async function eventWriteCost(deps: import('../lib/account/types').SessionDeps, userId: string): Promise<Figure[]> {
  const { createSession } = await import('../lib/store/sessions');
  const { eventToWrite } = await import('../lib/account/events');
  const { newRefreshRecord } = await import('../lib/account/session-tokens');
  const { getUser } = await import('../lib/store/users');
  const user = (await getUser(deps.table, userId))!;
  const open = async (withEvent: boolean) => {
    const sessionId = crypto.randomUUID();
    const { record } = newRefreshRecord(deps, userId, sessionId);
    const session = {
      userId,
      sessionId,
      createdAt: record.createdAt,
      lastUsedAt: record.createdAt,
      userAgent: 'bench',
      ip: '127.0.0.1',
      expiresAt: record.expiresAt,
      credVersion: user.credVersion,
    };
    const started = process.hrtime.bigint();
    await createSession(deps.table, session, record, withEvent ? eventToWrite(deps, userId, 'signin.success') : undefined);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const withEvent: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < 220; i++) {
    const order = i % 2 ? [true, false] : [false, true];
    for (const flag of order) (flag ? withEvent : without).push(await open(flag));
  }
  const plain = figure(
    'session transaction, without the event',
    without.slice(20).sort((a, b) => a - b),
  );
  return [
    plain,
    withLimit(
      figure(
        'session transaction, with signin.success in it',
        withEvent.slice(20).sort((a, b) => a - b),
      ),
      'without the event',
      plain.median,
    ),
  ];
}

/** The latency injected in front of DynamoDB Local for the round-trip section: a remote DynamoDB's order of magnitude. */
const INJECTED_MS = 10;

/**
 * Critical paths in round trips (issue 22, point 5): the handlers against DynamoDB Local behind the
 * latency proxy (bench/latency-proxy.ts, INJECTED_MS per request, concurrent), in a process of its own
 * (the handlers' clients are built at import, with the endpoint they find then). One round trip is a
 * GetItem through the proxy; a handler's round trips are its time less its CPU-bound part (bcrypt,
 * verify), over that.
 */
/** The page origin of the bench's passkey ceremonies (WEBAUTHN_ORIGINS in benchEnv). */
const PASSKEY_ORIGIN = 'http://localhost:8081';

/** Registers a passkey through the two registration handlers, as the signed-in user of `accessToken`. */
async function registeredPasskey(
  accessToken: string,
  handlers: {
    options: (event: ReturnType<typeof proxyEvent>) => Promise<{ statusCode: number; body: string }>;
    verify: (event: ReturnType<typeof proxyEvent>) => Promise<{ statusCode: number; body: string }>;
  },
): Promise<SoftCredential> {
  const claims = decodeJwt(accessToken);
  const signedIn = (body: unknown) => {
    const event = proxyEvent(body);
    return {
      ...event,
      requestContext: { ...event.requestContext, authorizer: { userId: claims.sub, sessionId: claims.sid, roles: JSON.stringify(claims.roles) } },
    };
  };
  const options = await handlers.options(signedIn({ password: 'bench password' }));
  if (options.statusCode !== 200) throw new Error(`passkey options: ${options.body}`);
  const { credential, response } = createCredential(JSON.parse(options.body), { origin: PASSKEY_ORIGIN, counts: true });
  const verified = await handlers.verify(signedIn({ response }));
  if (verified.statusCode !== 200) throw new Error(`passkey registration: ${verified.body}`);
  return credential;
}

async function roundTrips(keySet: string): Promise<void> {
  const database = await startDatabase({ port: await freePort() });
  const proxy = await startLatencyProxy({ target: Number(new URL(database.dynamo.endpoint).port), delayMs: INJECTED_MS });
  const restoreStdout = dropLogLines();
  const lambda = await lambdaAcceptor();
  try {
    Object.assign(process.env, benchEnv(keySet, database, proxy.url, lambda.url));
    log(`round trips: the handlers with ${INJECTED_MS} ms in front of every DynamoDB request …`);
    const { config } = await import('../lib/shared/config');
    const signup = (await import('../handlers/auth/signup')).handler;
    const signin = (await import('../handlers/auth/signin')).handler;
    const refresh = (await import('../handlers/auth/refresh')).handler;
    const signout = (await import('../handlers/auth/signout')).handler;
    const passkeyRegisterOptions = (await import('../handlers/passkeys/register-options')).handler;
    const passkeyRegisterVerify = (await import('../handlers/passkeys/register-verify')).handler;
    const passkeySignInOptions = (await import('../handlers/passkeys/signin-options')).handler;
    const passkeySignInVerify = (await import('../handlers/passkeys/signin-verify')).handler;
    const { authorize } = await import('../lib/access/authenticate');
    const { authenticateDeps } = await import('../lib/access/deps');
    const { createTable } = await import('../lib/store/table');
    const user = `rt_${process.pid}`;
    for (let i = 0; i < 5; i++) {
      const result = await signup(proxyEvent({ username: user, email: `${user}@example.com`, password: 'bench password' }));
      if (result.statusCode === 200) break;
    }
    let n = 0;
    const signUpSamples = await sample(
      async () => {
        const name = `rt_${process.pid}_${n++}`;
        const result = await signup(proxyEvent({ username: name, email: `${name}@example.com`, password: 'bench password' }));
        if (result.statusCode !== 200) throw new Error(`sign-up: ${result.body}`);
      },
      { warmup: 2, iterations: 10 },
    );
    const tokens: { accessToken: string; refreshToken: string }[] = [];
    const signInSamples = await sample(
      async () => {
        const result = await signin(proxyEvent({ username: user, password: 'bench password' }));
        if (result.statusCode !== 200) throw new Error(`sign-in: ${result.body}`);
        tokens.push(JSON.parse(result.body) as { accessToken: string; refreshToken: string });
      },
      { warmup: 2, iterations: 20 },
    );
    let refreshToken = tokens.pop()!.refreshToken;
    const refreshSamples = await sample(
      async () => {
        const result = await refresh(proxyEvent({ refreshToken }));
        if (result.statusCode !== 200) throw new Error(`refresh: ${result.body}`);
        refreshToken = (JSON.parse(result.body) as { refreshToken: string }).refreshToken;
      },
      { warmup: 3, iterations: 40 },
    );
    const signOutSamples = await sample(
      async () => {
        const result = await signout(proxyEvent({ refreshToken: tokens.pop()!.refreshToken }));
        if (result.statusCode !== 200) throw new Error(`sign-out: ${result.body}`);
      },
      { warmup: 2, iterations: 15 },
    );
    // A passkey for the user (scripts/soft-authenticator.ts answers as a browser would), then its sign-ins.
    const passkey = await registeredPasskey(tokens.pop()!.accessToken, { options: passkeyRegisterOptions, verify: passkeyRegisterVerify });
    const passkeyOptionsSamples = await sample(
      async () => {
        const result = await passkeySignInOptions(proxyEvent({}));
        if (result.statusCode !== 200) throw new Error(`passkey options: ${result.body}`);
      },
      { warmup: 2, iterations: 20 },
    );
    let answer: { challengeId: string; response: Record<string, unknown> } | undefined;
    const passkeyVerifySamples = await sample(
      async () => {
        const result = await passkeySignInVerify(proxyEvent(answer));
        if (result.statusCode !== 200) throw new Error(`passkey sign-in: ${result.body}`);
      },
      {
        warmup: 2,
        iterations: 20,
        // A fresh challenge before each call, outside the measurement.
        before: async () => {
          const { challengeId } = JSON.parse((await passkeySignInOptions(proxyEvent({}))).body) as { challengeId: string };
          answer = { challengeId, response: assert(passkey, challengeId, { origin: PASSKEY_ORIGIN }) };
        },
      },
    );
    const signed = signedData(passkey);
    const es256Samples = await sample(async () => cryptoVerify('sha256', signed.data, signed.publicKey, signed.signature), { warmup: 100, iterations: 1000 });
    const hash = await bcrypt.hash('bench password', config().bcryptCost);
    const bcryptSamples = await sample(() => bcrypt.compare('bench password', hash), { warmup: 2, iterations: 20 });
    const table = createTable(config());
    const roundTrip = await sample(
      () => table.client.send(new GetCommand({ TableName: table.name, Key: { pk: 'USER#none', sk: 'PROFILE' }, ConsistentRead: true })),
      { warmup: 10, iterations: 100 },
    );
    table.client.destroy();
    const token = tokens[0]!.accessToken;
    const publicKey = (await importSigningKeys(keySet)).verifiers.get('bench')!;
    const bareVerify = await sample(() => jwtVerify(token, publicKey, { algorithms: ['RS256'] }), { warmup: 100, iterations: 1000 });
    const authorizerMiss = await sample(
      async () => {
        const deadline = Deadline.forRequest();
        try {
          return await authorize(await authenticateDeps({ cached: false, deadline }), { 'x-access-token': token }, new Date());
        } finally {
          deadline.dispose();
        }
      },
      { warmup: 5, iterations: 100 },
    );
    // Each handler's DynamoDB requests and sequential steps, counted by the proxy over a few more calls.
    const steps: Record<string, { requests: number; steps: number }> = {};
    const count = async (name: string, calls: number, call: () => Promise<unknown>) => {
      proxy.take();
      for (let i = 0; i < calls; i++) await call();
      const { requests, steps: sequential } = proxy.take();
      steps[name] = { requests: requests / calls, steps: sequential / calls };
    };
    await count('sign-in handler', 5, async () => {
      const result = await signin(proxyEvent({ username: user, password: 'bench password' }));
      tokens.push(JSON.parse(result.body) as { accessToken: string; refreshToken: string });
    });
    await count('refresh handler', 5, async () => {
      const result = await refresh(proxyEvent({ refreshToken }));
      refreshToken = (JSON.parse(result.body) as { refreshToken: string }).refreshToken;
    });
    await count('authorizer, cache miss', 5, async () => {
      const deadline = Deadline.forRequest();
      try {
        await authorize(await authenticateDeps({ cached: false, deadline }), { 'x-access-token': token }, new Date());
      } finally {
        deadline.dispose();
      }
    });
    await count('sign-up handler (bcrypt hash ≈ compare)', 3, async () => {
      const name = `rt_${process.pid}_${n++}`;
      await signup(proxyEvent({ username: name, email: `${name}@example.com`, password: 'bench password' }));
    });
    await count('sign-out handler', 3, () => signout(proxyEvent({ refreshToken: tokens.pop()!.refreshToken })));
    await count('passkey sign-in options handler', 3, () => passkeySignInOptions(proxyEvent({})));
    const counted: { challengeId: string; response: Record<string, unknown> }[] = [];
    for (let i = 0; i < 3; i++) {
      const { challengeId } = JSON.parse((await passkeySignInOptions(proxyEvent({}))).body) as { challengeId: string };
      counted.push({ challengeId, response: assert(passkey, challengeId, { origin: PASSKEY_ORIGIN }) });
    }
    await count('passkey sign-in verify handler', 3, () => passkeySignInVerify(proxyEvent(counted.shift())));
    const rt = figure(`round trip through the proxy (GetItem, ${INJECTED_MS} ms injected)`, roundTrip);
    const bcryptFig = figure('bcrypt compare, beside it', bcryptSamples);
    const verify = figure('jose verify, beside it', bareVerify);
    figures.push(rt);
    const inRoundTrips = (name: string, samples: number[], cpuMs: number, allowed?: { rt: number; cpu: string }) => {
      const handler = figure(`${INJECTED_MS} ms per DynamoDB request: ${name}`, samples);
      const trips = (handler.median - cpuMs) / rt.median;
      const limit = cpuMs + (allowed?.rt ?? 0) * rt.median;
      figures.push(
        allowed ? withLimit(handler, `${allowed.cpu}${allowed.cpu ? ' + ' : ''}${allowed.rt} round trip${allowed.rt > 1 ? 's' : ''}`, limit, 1.1) : handler,
      );
      const counted = steps[name];
      const calls = counted ? `; ${counted.steps.toFixed(1)} sequential steps of ${counted.requests.toFixed(1)} DynamoDB requests` : '';
      figures.push({
        name: `… ${name} in round trips${cpuMs > 0 ? ' (its CPU part taken out)' : ''}${calls}`,
        unit: 'RT',
        median: trips,
        p99: null,
        samples: samples.length,
      });
    };
    inRoundTrips('sign-in handler', signInSamples, bcryptFig.median, { rt: 2, cpu: 'bcrypt' });
    inRoundTrips('refresh handler', refreshSamples, 0, { rt: 1, cpu: '' });
    inRoundTrips('authorizer, cache miss', authorizerMiss, verify.median, { rt: 1, cpu: 'verify' });
    inRoundTrips('sign-up handler (bcrypt hash ≈ compare)', signUpSamples, bcryptFig.median);
    inRoundTrips('sign-out handler', signOutSamples, 0);
    // The limits: storing a challenge beside its count; and one ES256 verify plus the four reads and writes a
    // passkey sign-in cannot do without (spend the challenge, find the credential, read the profile with the
    // key, open the session), the per-IP count beside the first and the counter in the session's write.
    const es256 = figure('ES256 verify (node:crypto), beside it', es256Samples);
    figures.push(es256);
    inRoundTrips('passkey sign-in options handler', passkeyOptionsSamples, 0, { rt: 1, cpu: '' });
    inRoundTrips('passkey sign-in verify handler', passkeyVerifySamples, es256.median, { rt: 4, cpu: 'ES256 verify' });
  } finally {
    restoreStdout();
    lambda.close();
    await proxy.close();
    await database.dynamo.stop();
  }
}

async function coldStarts(): Promise<void> {
  log('cold start: osls package --stage prod, then 20 fresh node processes per function …');
  const packaged = spawnSync(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', 'prod'], {
    cwd: ROOT,
    encoding: 'utf8',
    // A deployed stage requires CORS_ORIGIN, SES_FROM and APP_URL (deploy/config/); their values do not change the bundles.
    env: {
      ...process.env,
      CORS_ORIGIN: process.env.CORS_ORIGIN || 'https://bench.example',
      SES_FROM: process.env.SES_FROM || 'no-reply@bench.example',
      APP_URL: process.env.APP_URL || 'https://bench.example/account',
      SLS_TELEMETRY_DISABLED: '1',
    },
  });
  if (packaged.status !== 0) throw new Error(`osls package failed:\n${packaged.stdout}\n${packaged.stderr}`);
  const work = await mkdtemp(join(tmpdir(), 'bench-bundles-'));
  try {
    const zips = (await readdir(join(ROOT, '.serverless'))).filter((file) => file.endsWith('.zip'));
    for (const zip of zips.sort()) {
      const name = zip.replace(/\.zip$/, '');
      const dir = join(work, name);
      const unzip = spawnSync('unzip', ['-q', '-o', join(ROOT, '.serverless', zip), '-d', dir]);
      if (unzip.status !== 0) throw new Error(`unzip ${zip} failed (is unzip installed?)`);
      // The one bundle in the zip: handlers/<area>/<name>.js.
      const handlerFile = (await readdir(join(dir, 'handlers'), { recursive: true })).find((file) => file.endsWith('.js'))!;
      const bundle = join(dir, 'handlers', handlerFile);
      const bytes = (await stat(bundle)).size;
      const loads: number[] = [];
      for (let i = 0; i < 20; i++) {
        const run = spawnSync(
          process.execPath,
          ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(bundle)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`],
          { encoding: 'utf8', env: { ...process.env, TABLE_NAME: 't', SIGNING_KEYS: '{"keys":[]}', NODE_NO_WARNINGS: '1' } },
        );
        loads.push(Number(run.stdout));
      }
      loads.sort((a, b) => a - b);
      const usesDb = bytes > 100_000;
      const kb = bytes / 1024;
      const load = figure(`cold start ${name}: module load (bundle ${kb.toFixed(1)} KB)`, loads);
      // The targets: the authorizer (with the revocation read) loads in < 40 ms; functions with
      // the DynamoDB client stay ≤ 600 KB and load in < 100 ms. Others are reported without a target.
      if (name === 'authorizer') figures.push(withTarget(load, 'load < 40 ms', load.median < 40));
      else if (usesDb) figures.push(withTarget(load, '≤ 600 KB and load < 100 ms', kb <= 600 && load.median < 100));
      else figures.push(load);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function overHttp(keySet: string): Promise<void> {
  log('HTTP through serverless-offline (autocannon, 127.0.0.1, bounded) …');
  const stack = await startApiStack({
    keySet,
    env: { LOCKOUT_THRESHOLD: '1000', LOCKOUT_IP_THRESHOLD: '1000000' },
  });
  try {
    const post = (path: string, body: unknown) =>
      fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post('/api/auth/signup', { username: 'bench_http', email: 'bench_http@example.com', password: 'bench password' });
    const tokens: string[] = [];
    let accessToken = '';
    // Refresh tokens rotate: each request needs its own, so make one session per request beforehand.
    const REFRESHES = 300;
    for (let i = 0; i < REFRESHES; i++) {
      const login = (await (await post('/api/auth/signin', { username: 'bench_http', password: 'bench password' })).json()) as {
        accessToken: string;
        refreshToken: string;
      };
      tokens.push(login.refreshToken);
      accessToken = login.accessToken;
    }
    const run = (options: autocannon.Options) =>
      new Promise<autocannon.Result>((resolve, reject) => {
        autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
      });
    const user = await run({ url: `${stack.url}/api/test/user`, connections: 8, amount: 2000, duration: 30, headers: { 'x-access-token': accessToken } });
    let next = 0;
    const refreshRun = await run({
      url: `${stack.url}/api/auth/refreshtoken`,
      connections: 8,
      amount: REFRESHES,
      duration: 30,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ refreshToken: tokens[next++ % REFRESHES] }) }) }],
    });
    for (const [name, result] of [
      ['HTTP GET /api/test/user (8 connections)', user],
      ['HTTP POST /api/auth/refreshtoken (8 connections)', refreshRun],
    ] as const) {
      const ok = result['2xx'];
      figures.push({ name: `${name}: latency`, unit: 'ms', median: result.latency.p50, p99: result.latency.p99, samples: result.requests.sent });
      figures.push(
        withTarget(
          { name: `${name}: throughput`, unit: 'req/s', median: result.requests.average, p99: null, samples: result.requests.sent },
          'all answers 2xx',
          ok === result.requests.sent,
        ),
      );
    }
    figures.push(...(await enumerationTiming(stack.url, Number(process.env.BCRYPT_COST ?? 10))));
  } finally {
    await stack.stop();
  }
}

/** What each process of `npm start` is, by its command line. */
function processName(command: string): string {
  if (/DynamoDbLocalOnLoopback/.test(command)) return 'DynamoDB Local (Java)';
  if (/aws-ses-v2-local/.test(command)) return 'SES emulator';
  if (/serverless\.js offline/.test(command)) return 'serverless-offline (the functions)';
  if (/esbuild --service/.test(command)) return 'esbuild service';
  if (/scripts\/start\.ts/.test(command) && /^sh /.test(command)) return 'npm script shell';
  if (/scripts\/start\.ts/.test(command) && /--import/.test(command)) return 'start script (node)';
  if (/tsx scripts\/start\.ts/.test(command)) return 'tsx launcher';
  if (/^npm/.test(command)) return 'npm';
  return command.slice(0, 40);
}

/**
 * The local stack as a developer runs it: `npm start` (or `npm start -- --watch`) on free ports (keys in a
 * folder of the bench's own), in a process group of its own. Once it says it is ready: the resident memory
 * of every process in its tree, beside the number of functions, then one call to each function through
 * serverless-offline's Lambda endpoint (an empty event, which each refuses without touching anything),
 * timed: what a client's first call to it costs after start; then a second round of the same calls, for
 * comparison. Then Ctrl-C (SIGINT to the group), as a developer stops it.
 */
async function footprint(watch: boolean): Promise<void> {
  const command = watch ? 'npm start -- --watch' : 'npm start';
  log(`footprint: ${command}, its processes' resident memory, each function's first call …`);
  const service = parse(await readFile(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    service: string;
    functions: Record<string, unknown>;
  };
  const functions = Object.keys(service.functions);
  const keyDir = await mkdtemp(join(tmpdir(), 'bench-start-'));
  const ports = { PORT: await freePort(), DYNAMODB_PORT: await freePort(), LAMBDA_PORT: await freePort(), SES_PORT: await freePort() };
  const { ADMIN_USERNAME: _u, ADMIN_EMAIL: _e, ADMIN_PASSWORD: _p, DYNAMODB_DATA_PATH: _d, ...env } = process.env;
  const child = spawn('npm', watch ? ['start', '--', '--watch'] : ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      SIGNING_KEY_FILE: join(keyDir, 'local-signing-keys.json'),
    },
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not say it was ready within 240 s:\n${output.slice(-3000)}`)), 240_000);
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      if (output.includes('API ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (code ${code}):\n${output.slice(-3000)}`));
    });
  });
  try {
    await ready;
    const processes = processTree(child.pid!).flatMap((pid) => residentMemory(pid) ?? []);
    const mb = (kib: number) => kib / 1024;
    for (const entry of processes) {
      figures.push({ name: `footprint: ${processName(entry.command)}, resident`, unit: 'MB', median: mb(entry.rssKiB), p99: null, samples: 1 });
    }
    const rss = processes.reduce((sum, entry) => sum + entry.rssKiB, 0);
    const pss = processes.reduce((sum, entry) => sum + entry.pssKiB, 0);
    figures.push(
      withTarget(
        {
          name: `footprint: ${command}, ${processes.length} processes, ${functions.length} functions, resident (VmRSS summed)`,
          unit: 'MB',
          median: mb(rss),
          p99: null,
          samples: 1,
        },
        '≤ 1024 MB',
        mb(rss) <= 1024,
      ),
    );
    figures.push({ name: 'footprint: the same, proportional (Pss: shared pages split)', unit: 'MB', median: mb(pss), p99: null, samples: 1 });
    // The bench's own HTTP client is loaded, connected and through its first POST with a body first (to the
    // invoke route, for a function that does not exist: 404), so its start is not charged to the first function.
    const unknown = await fetch(`http://127.0.0.1:${ports.LAMBDA_PORT}/2015-03-31/functions/no-such-function/invocations`, { method: 'POST', body: '{}' });
    await unknown.arrayBuffer();
    if (unknown.status !== 404) throw new Error(`invoking an unknown function: HTTP ${unknown.status}, not 404`);
    const callEach = async (which: string) => {
      const calls: { name: string; ms: number }[] = [];
      for (const name of functions) {
        const started = process.hrtime.bigint();
        const response = await fetch(`http://127.0.0.1:${ports.LAMBDA_PORT}/2015-03-31/functions/${service.service}-local-${name}/invocations`, {
          method: 'POST',
          body: '{}',
        });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${which} call of ${name}: HTTP ${response.status}`);
        calls.push({ name, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      }
      return { slowest: calls.reduce((a, b) => (b.ms > a.ms ? b : a)), sorted: calls.map((call) => call.ms).sort((a, b) => a - b) };
    };
    const first = await callEach('first');
    // The same calls once more: what a call costs on this machine once nothing is first any more, so a slow
    // first call can be told from the machine's load (other processes on the same cores).
    const second = await callEach('second');
    figures.push(
      withTarget(
        figure(`first call of each function after start (${functions.length}; p99 = the slowest, ${first.slowest.name})`, first.sorted),
        'every function ≤ 50 ms',
        first.slowest.ms <= 50,
      ),
      figure(`second call of each function, for comparison (p99 = the slowest, ${second.slowest.name})`, second.sorted),
    );
  } finally {
    // Ctrl-C: the terminal signals the whole foreground group; start.ts stops the stack and exits.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGINT');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await stopChild(child);
    await rm(keyDir, { recursive: true, force: true });
  }
}

const SECTIONS = ['in-process', 'round-trips', 'cold-start', 'http', 'footprint'] as const;

/**
 * The round-trip section in a node process of its own (the handlers point at the endpoint they find
 * at import, and the in-process section imported them first): its figures come back in a file.
 */
async function roundTripsApart(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-rt-'));
  try {
    const file = join(dir, 'figures.json');
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--only', 'round-trips', '--figures-to', file], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: process.env,
    });
    if (child.status !== 0) throw new Error(`the round-trip section failed (exit ${child.status})`);
    figures.push(...(JSON.parse(await readFile(file, 'utf8')) as Figure[]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  if (only !== undefined && !(SECTIONS as readonly string[]).includes(only)) throw new Error(`--only takes one of ${SECTIONS.join(', ')}`);
  const runs = (section: (typeof SECTIONS)[number]) => only === undefined || only === section;
  const keySet = await newKeySet('bench');
  const figuresTo = process.argv.includes('--figures-to') ? process.argv[process.argv.indexOf('--figures-to') + 1] : undefined;
  if (runs('in-process')) await inProcess(keySet);
  if (only === 'round-trips') await roundTrips(keySet);
  else if (runs('round-trips')) await roundTripsApart();
  if (figuresTo) {
    await writeFile(figuresTo, JSON.stringify(figures));
    process.exit(0);
  }
  if (runs('cold-start')) await coldStarts();
  if (runs('http')) await overHttp(keySet);
  if (runs('footprint')) await footprint(process.argv.includes('--watch'));

  // The load average: the machine's other work, which every figure here shares the cores with.
  const load = loadavg()
    .map((average) => average.toFixed(1))
    .join(' ');
  const machine = `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${load} (1, 5, 15 min)`;
  const output = table(figures);
  console.log(`\n${machine}\n\n${output}\n`);
  if (operationCosts.length > 0) console.log(`${printCostTables(operationCosts, SAMPLE_RATE)}\n`);
  const scenarios = Object.keys(loadModel).length > 0 ? loadScenarios() : [];
  for (const scenario of scenarios) console.log(`${printLoadTable(scenario.title, scenario.rows)}\n`);
  const notMet = figures.filter((f) => f.target && !f.target.met);
  console.log(notMet.length ? `targets not met: ${notMet.map((f) => f.name).join('; ')}` : 'all targets met');
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(
    join(ROOT, 'bench/results/latest.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        figures,
        cost:
          operationCosts.length > 0
            ? {
                usage: HEAVY_USER,
                sampleRate: SAMPLE_RATE,
                operations: operationCosts,
                months: costTable(operationCosts),
                targets: costTargets(operationCosts),
              }
            : undefined,
        load: scenarios,
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
