import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { splitKeySet } from '../lib/access/signing-keys';
import { WARM_UP_EVENT } from '../lib/shared/warm-up';
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { ensureLocalKeys, writeKeyParts } from './local-keys';
import { freePort } from './local-proxy';
import { DEV_PROVIDER_ID, type OidcDevProvider, startOidcDevProvider } from './oidc-dev';
import { type SesEmulator, startSesEmulator } from './ses-local';
import { onFreePort, startAndWait, stopChild } from './start-and-wait';

const ROOT = join(__dirname, '..');
export const LOCAL_TABLE_NAME = 'lambda-jwt-auth-local';

// The free-port helpers: tests and the bench import them from here.
export { freePort, onFreePort };

export interface OfflineOptions {
  httpPort: number;
  lambdaPort: number;
  /** Environment for the functions (read by serverless.yml through `${env:...}`). */
  env: Record<string, string>;
  /** Where serverless-offline's own output goes ('inherit' for `npm start`). */
  stdio: 'inherit' | 'pipe';
  /** Rebuild on change (serverless-esbuild's watcher, a worker thread per call) instead of building once. */
  watch?: boolean;
}

export interface Offline {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs `osls offline --stage local` and resolves once the API answers and every function is warm.
 * By default the functions are built once and run in serverless-offline's own process (`--useInProcess`;
 * deploy/offline/plugin.cjs): no bundler stays alive, and one module instance per function serves every
 * call, concurrent ones included, so no call waits for a worker to start. `watch` keeps serverless-esbuild's
 * watcher and incremental builds, and a worker thread per concurrent call, which a rebuild replaces.
 */
export async function startOffline(options: OfflineOptions): Promise<Offline> {
  const url = `http://127.0.0.1:${options.httpPort}`;
  const { child, output } = await startAndWait({
    name: 'serverless-offline',
    command: process.execPath,
    args: [
      join(ROOT, 'node_modules/serverless/bin/serverless.js'),
      'offline',
      'start',
      '--stage',
      'local',
      '--httpPort',
      String(options.httpPort),
      '--lambdaPort',
      String(options.lambdaPort),
      ...(options.watch ? [] : ['--useInProcess']),
    ],
    spawn: { cwd: ROOT, env: { ...process.env, ...options.env, SLS_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', options.stdio, options.stdio] },
    ready: async () => (await fetch(`${url}/api/test/all`)).ok,
    withinSeconds: 120,
    everyMs: 250,
    keep: 20_000,
  });
  const stop = () => stopChild(child);
  try {
    await warmFunctions(options.lambdaPort);
  } catch (error) {
    // The caller holds no Offline yet to stop: a function that failed to load would leave serverless-offline running.
    await stop();
    throw error;
  }
  return { url, child, output, stop };
}

/**
 * Loads every function (in process; with `watch`, starts a worker for each), so the first request after
 * "ready" does not pay the module load (up to ~400 ms a function in a fresh worker): a browser client that
 * navigates right after a call (the Angular tutorial's sign-out link) still gets its answer. Each function
 * is invoked once with the warm-up event (lib/shared/warm-up.ts), which every handler recognises: it answers
 * at once, touches nothing, and logs no request or refusal;
 * serverless.yml keeps idle workers for a day. One at a time: a load is CPU-bound, and on two cores loads
 * run side by side only slowed each other (four at once took the authorizer's past 2 s).
 */
async function warmFunctions(lambdaPort: number): Promise<void> {
  const service = parse(await readFile(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    service: string;
    functions: Record<string, unknown>;
  };
  for (const name of Object.keys(service.functions).map((key) => `${service.service}-local-${key}`)) {
    const response = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${name}/invocations`, {
      method: 'POST',
      body: JSON.stringify(WARM_UP_EVENT),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`warming ${name}: HTTP ${response.status}`);
  }
}

export interface LocalStack {
  dynamo: DynamoDbLocal;
  tableName: string;
}

/** DynamoDB Local with the service's tables in it. */
export async function startDatabase(options: { port: number; dbPath?: string | undefined }): Promise<LocalStack> {
  const dynamo = await startDynamoDbLocal(options);
  try {
    await createTables(dynamo.endpoint, LOCAL_TABLE_NAME);
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  return { dynamo, tableName: LOCAL_TABLE_NAME };
}

/** The whole service: `npm start`'s (scripts/start.ts), or one private to a test run or bench run. */
export interface ApiStack {
  url: string;
  /** serverless-offline's Lambda invoke endpoint (LAMBDA_PORT). */
  lambdaUrl: string;
  /** The environment the functions run with (serverless.yml reads it through `${env:...}`). */
  env: Record<string, string>;
  database: LocalStack;
  /** The SES emulator the mailer sends to (sent mail at `${sesUrl}/store`). */
  sesUrl: string;
  /** The local OpenID provider `dev` the functions know (OIDC_PROVIDERS): tests tamper with its id tokens. */
  oidc: OidcDevProvider;
  /** serverless-offline's output so far (the functions' log lines), when piped. */
  output(): string;
  /** serverless-offline's process (the bench measures the stack's processes from it). */
  offlinePid: number;
  /** Resolves with serverless-offline's exit code if it ends on its own. */
  offlineExited: Promise<number>;
  /** Starts DynamoDB Local again on the same port and data folder (after a test stopped it). */
  restartDatabase(): Promise<void>;
  /** Stops the SES emulator (a mail outage), and starts it again on the same port. */
  stopMail(): Promise<void>;
  restartMail(): Promise<void>;
  /** Stops serverless-offline, DynamoDB Local, the SES emulator and the provider dev, and removes the stack's private folder. */
  stop(): Promise<void>;
}

/** Ports for the stack's tools; each one left out is a free loopback port (replaced if taken meanwhile). */
export interface StackPorts {
  api?: number;
  dynamodb?: number;
  lambda?: number;
  ses?: number;
  oidc?: number;
}

/**
 * The one assembly of the local stack, for `npm start` and every test tier and the bench: the key parts,
 * DynamoDB Local with the service's tables (in memory, or kept in a folder), the SES emulator behind its
 * proxy, the OpenID provider `dev` (scripts/oidc-dev.ts), `prepare` run against the empty table, then
 * serverless-offline with every function warmed.
 * Whatever fails on the way is stopped again.
 */
export async function startApiStack(options: {
  /** A whole key set (newKeySet), written as its four parts to the stack's private folder (tests, bench). */
  keySet?: string;
  /** Or the folder that keeps the parts, made at first start (`npm start`: scripts/local-keys.ts). */
  keyDir?: string;
  env?: Record<string, string>;
  /** DynamoDB Local's data: in memory (default), in the stack's private folder so it survives a restart, or in `dbPath`. */
  persistent?: boolean;
  dbPath?: string;
  ports?: StackPorts;
  /** serverless-offline's output: kept for output() ('pipe', default) or passed through ('inherit'). */
  stdio?: 'inherit' | 'pipe';
  /** Rebuild on change (`npm start -- --watch`) instead of building once: see startOffline. */
  watch?: boolean;
  /** Told each tool as it comes up (`npm start` prints these lines). */
  report?: (line: string) => void;
  prepare?: (env: Record<string, string>, database: LocalStack) => Promise<void>;
}): Promise<ApiStack> {
  const report = options.report ?? (() => undefined);
  const ports = options.ports ?? {};
  let dir: string | undefined;
  const privateDir = async () => (dir ??= await mkdtemp(join(tmpdir(), 'jwt-auth-stack-')));
  let keyEnv: Record<string, string>;
  if (options.keySet !== undefined) {
    // The key set's four parts, one file each, as `npm start` keeps them (scripts/local-keys.ts).
    keyEnv = await writeKeyParts(join(await privateDir(), 'keys'), splitKeySet(options.keySet, new Date()));
  } else if (options.keyDir !== undefined) {
    const keys = await ensureLocalKeys(options.keyDir);
    report(`keys: ${options.keyDir} (${keys.state})`);
    keyEnv = keys.env;
  } else {
    throw new Error('startApiStack needs a keySet or a keyDir');
  }
  const dbPath = options.dbPath ?? (options.persistent ? join(await privateDir(), 'db') : undefined);
  // DynamoDB Local wants the data folder to exist already.
  if (dbPath) await mkdir(dbPath, { recursive: true });
  // Each tool's free port is found and then bound by the tool: one taken in between is replaced (onFreePort).
  // A port the caller chose is used as it is. A restart keeps its port, since the running functions were told it.
  const onPort = <T>(chosen: number | undefined, start: (port: number) => Promise<T>) => (chosen === undefined ? onFreePort(start) : start(chosen));
  let port = 0;
  let sesPort = 0;
  let database: LocalStack | undefined;
  let offline: Offline | undefined;
  let ses: SesEmulator | undefined;
  let oidc: OidcDevProvider | undefined;
  const stop = async () => {
    await offline?.stop();
    await database?.dynamo.stop();
    await ses?.stop();
    await oidc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  try {
    database = await onPort(ports.dynamodb, (free) => {
      port = free;
      return startDatabase({ port, dbPath });
    });
    report(`DynamoDB Local: ${database.dynamo.endpoint} (${dbPath ? `data in ${dbPath}` : 'in memory'}), table ${database.tableName}`);
    ses = await onPort(ports.ses, (free) => {
      sesPort = free;
      return startSesEmulator({ port: sesPort });
    });
    report(`SES emulator: ${ses.url} (sent mail in its web UI, and as JSON at ${ses.url}/store)`);
    // In process: a port found taken fails its listen with EADDRINUSE, which onFreePort retries.
    oidc = await onPort(ports.oidc, (free) => startOidcDevProvider({ port: free }));
    report(`OpenID provider ${DEV_PROVIDER_ID}: ${oidc.issuer} (signs in the email given as login_hint)`);
    let lambdaPort = ports.lambda ?? (await freePort());
    const env: Record<string, string> = {
      DYNAMODB_ENDPOINT: database.dynamo.endpoint,
      ...keyEnv,
      SES_ENDPOINT: ses.url,
      LAMBDA_ENDPOINT: `http://127.0.0.1:${lambdaPort}`,
      ...options.env,
      ...withDevProvider(options.env, oidc),
    };
    await options.prepare?.(env, database);
    const start = async (lambda: number, api: number) => {
      lambdaPort = lambda;
      if (options.env?.LAMBDA_ENDPOINT === undefined) env.LAMBDA_ENDPOINT = `http://127.0.0.1:${lambdaPort}`;
      // Where the provider sends the browser back (its callback): this API, on the host browsers use for it.
      if (options.env?.SERVICE_URL === undefined) env.SERVICE_URL = `http://localhost:${api}`;
      return startOffline({ httpPort: api, lambdaPort, env, stdio: options.stdio ?? 'pipe', watch: options.watch });
    };
    if (ports.api !== undefined && ports.lambda !== undefined) {
      offline = await start(ports.lambda, ports.api);
    } else {
      // A retry takes a new Lambda port and, unless the caller chose it, a new API port (the output does not
      // always say which of the two was taken). The first try keeps the Lambda port `prepare` was shown.
      let picks = 0;
      offline = await onFreePort(async (free) => start(free, ports.api ?? (await freePort())), {
        pick: async () => (picks++ === 0 || ports.lambda !== undefined ? lambdaPort : freePort()),
      });
    }
    const running = offline;
    const offlinePid = running.child.pid;
    if (offlinePid === undefined) throw new Error('serverless-offline has no process id');
    const stack: ApiStack = {
      url: offline.url,
      lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
      env,
      database,
      sesUrl: ses.url,
      oidc,
      output: () => running.output(),
      offlinePid,
      offlineExited: new Promise((resolve) => running.child.once('exit', (code) => resolve(code ?? 1))),
      restartDatabase: async () => {
        database = await startDatabase({ port, dbPath });
        stack.database = database;
      },
      stopMail: async () => {
        await ses?.stop();
      },
      restartMail: async () => {
        ses = await startSesEmulator({ port: sesPort });
      },
      stop,
    };
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * OIDC_PROVIDERS and OIDC_CLIENT_SECRETS for the functions: the caller's own providers (a JSON array in
 * `env`, if any) and then `dev`; `dev`'s secret beside the caller's secrets (a JSON object, if any).
 */
export function withDevProvider(
  env: Record<string, string> | undefined,
  dev: Pick<OidcDevProvider, 'issuer' | 'clientId' | 'clientSecret'>,
): { OIDC_PROVIDERS: string; OIDC_CLIENT_SECRETS: string } {
  const providers = parsed(env?.OIDC_PROVIDERS, 'OIDC_PROVIDERS', [] as unknown[], Array.isArray);
  const secrets = parsed(env?.OIDC_CLIENT_SECRETS, 'OIDC_CLIENT_SECRETS', {} as Record<string, unknown>, isObject);
  if (providers.some((provider) => isObject(provider) && provider.id === DEV_PROVIDER_ID)) {
    throw new Error(`OIDC_PROVIDERS names a provider ${DEV_PROVIDER_ID}: the local stack runs its own under that id`);
  }
  const devEntry = { id: DEV_PROVIDER_ID, name: 'Dev (local)', issuer: dev.issuer, clientId: dev.clientId };
  return {
    OIDC_PROVIDERS: JSON.stringify([...providers, devEntry]),
    OIDC_CLIENT_SECRETS: JSON.stringify({ [DEV_PROVIDER_ID]: dev.clientSecret, ...secrets }),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parsed<T>(text: string | undefined, name: string, empty: T, fits: (value: unknown) => boolean): T {
  if (text === undefined || text.trim() === '') return empty;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!fits(value)) throw new Error(`${name} is not a JSON ${Array.isArray(empty) ? 'array' : 'object'}: ${text}`);
  return value as T;
}
