import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { splitKeySet } from '../lib/access/signing-keys';
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { writeKeyParts } from './local-keys';
import { freePort } from './local-proxy';
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
}

export interface Offline {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Runs `osls offline --stage local` and resolves once the API answers. */
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
    ],
    spawn: { cwd: ROOT, env: { ...process.env, ...options.env, SLS_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', options.stdio, options.stdio] },
    ready: async () => (await fetch(`${url}/api/test/all`)).ok,
    withinSeconds: 120,
    everyMs: 250,
    keep: 20_000,
  });
  const stop = () => stopChild(child);
  await warmFunctions(options.lambdaPort);
  return { url, child, output, stop };
}

/**
 * Starts a worker for every function, so the first request after "ready" does not pay serverless-offline's
 * cold start (~400 ms a function): a browser client that navigates right after a call (the Angular
 * tutorial's sign-out link) still gets its answer. Each function is invoked once with an empty event,
 * which every handler refuses without touching anything; serverless.yml keeps idle workers for a day.
 */
async function warmFunctions(lambdaPort: number): Promise<void> {
  const service = parse(await readFile(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    service: string;
    functions: Record<string, unknown>;
  };
  const names = Object.keys(service.functions).map((name) => `${service.service}-local-${name}`);
  const invoke = async (name: string) => {
    const response = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${name}/invocations`, { method: 'POST', body: '{}' });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`warming ${name}: HTTP ${response.status}`);
  };
  // A few at a time: each worker's start is CPU-bound.
  const queue = [...names];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) await invoke(name);
    }),
  );
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

/** The whole service on free loopback ports, private to one test run or bench run. */
export interface ApiStack {
  url: string;
  /** serverless-offline's Lambda invoke endpoint (LAMBDA_PORT). */
  lambdaUrl: string;
  /** The environment the functions run with (serverless.yml reads it through `${env:...}`). */
  env: Record<string, string>;
  database: LocalStack;
  /** The SES emulator the mailer sends to (sent mail at `${sesUrl}/store`). */
  sesUrl: string;
  /** serverless-offline's output so far (the functions' log lines). */
  output(): string;
  /** Starts DynamoDB Local again on the same port and data folder (after a test stopped it). */
  restartDatabase(): Promise<void>;
  /** Stops the SES emulator (a mail outage), and starts it again on the same port. */
  stopMail(): Promise<void>;
  restartMail(): Promise<void>;
  /** Stops serverless-offline, DynamoDB Local and the SES emulator and removes the key and data folder. */
  stop(): Promise<void>;
}

/**
 * The key parts written to a private temporary folder, DynamoDB Local (in memory, or `persistent`
 * in that folder so it survives a restart), `prepare` run against the empty table, then
 * serverless-offline. Whatever fails on the way is stopped again.
 */
export async function startApiStack(options: {
  /** Every key part in one document (newKeySet); written as four files, one per part. */
  keySet: string;
  env?: Record<string, string>;
  persistent?: boolean;
  /** The API's port (a free one by default). */
  httpPort?: number;
  prepare?: (env: Record<string, string>, database: LocalStack) => Promise<void>;
}): Promise<ApiStack> {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-auth-stack-'));
  // The key set's four parts, one file each, as `npm start` keeps them (scripts/local-keys.ts).
  const keyEnv = await writeKeyParts(join(dir, 'keys'), splitKeySet(options.keySet, new Date()));
  const dbPath = options.persistent ? join(dir, 'db') : undefined;
  if (dbPath) await mkdir(dbPath);
  // Each tool's port is found free and then bound by the tool: one taken in between is replaced (onFreePort).
  // A restart keeps its port, since the running functions were told it.
  let port = 0;
  let sesPort = 0;
  let database: LocalStack | undefined;
  let offline: Offline | undefined;
  let ses: SesEmulator | undefined;
  const stop = async () => {
    await offline?.stop();
    await database?.dynamo.stop();
    await ses?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    database = await onFreePort((free) => {
      port = free;
      return startDatabase({ port, dbPath });
    });
    ses = await onFreePort((free) => {
      sesPort = free;
      return startSesEmulator({ port: sesPort });
    });
    let lambdaPort = await freePort();
    const env: Record<string, string> = {
      DYNAMODB_ENDPOINT: database.dynamo.endpoint,
      ...keyEnv,
      SES_ENDPOINT: ses.url,
      LAMBDA_ENDPOINT: `http://127.0.0.1:${lambdaPort}`,
      ...options.env,
    };
    await options.prepare?.(env, database);
    // A retry takes a new Lambda port and, unless the caller chose it, a new API port (the output does not
    // always say which of the two was taken). The first try keeps the Lambda port `prepare` was shown.
    let picks = 0;
    offline = await onFreePort(
      async (free) => {
        lambdaPort = free;
        if (options.env?.LAMBDA_ENDPOINT === undefined) env.LAMBDA_ENDPOINT = `http://127.0.0.1:${lambdaPort}`;
        return startOffline({ httpPort: options.httpPort ?? (await freePort()), lambdaPort, env, stdio: 'pipe' });
      },
      { pick: async () => (picks++ === 0 ? lambdaPort : freePort()) },
    );
    const running = offline;
    const stack: ApiStack = {
      url: offline.url,
      lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
      env,
      database,
      sesUrl: ses.url,
      output: () => running.output(),
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
