import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { splitKeySet } from '../lib/access/signing-keys';
import { createTables, startDynamoDbLocal, stopChild, type DynamoDbLocal } from './dynamodb-local';
import { writeKeyParts } from './local-keys';
import { freePort } from './local-proxy';
import { type SesEmulator, startSesEmulator } from './ses-local';

const ROOT = join(__dirname, '..');
export const LOCAL_TABLE_NAME = 'lambda-jwt-auth-local';

// The free-port helper lives beside the loopback proxy; tests and the bench import it from here.
export { freePort };

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
  const child = spawn(
    process.execPath,
    [
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
    { cwd: ROOT, env: { ...process.env, ...options.env, SLS_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', options.stdio, options.stdio] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${options.httpPort}`;
  const stop = () => stopChild(child);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serverless-offline exited (code ${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/api/test/all`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`serverless-offline did not answer within 120 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await warmFunctions(options.lambdaPort);
  return { url, child, output: () => output, stop };
}

/**
 * Starts a worker for every function, so the first request after "ready" does not pay serverless-offline's
 * cold start (~400 ms a function): a browser client that navigates right after a call (the Angular
 * tutorial's sign-out link) still gets its answer. Each function is invoked once with an empty event,
 * which every handler refuses without touching anything; serverless.yml keeps idle workers for a day.
 */
async function warmFunctions(lambdaPort: number): Promise<void> {
  const service = parse(await readFile(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as { service: string; functions: Record<string, unknown> };
  const names = Object.keys(service.functions).map((name) => `${service.service}-local-${name}`);
  const invoke = async (name: string) => {
    const response = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${name}/invocations`, { method: 'POST', body: '{}' });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`warming ${name}: HTTP ${response.status}`);
  };
  // A few at a time: each worker's start is CPU-bound.
  const queue = [...names];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) await invoke(name);
  }));
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
  const port = await freePort();
  const sesPort = await freePort();
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
    database = await startDatabase({ port, dbPath });
    ses = await startSesEmulator({ port: sesPort });
    const lambdaPort = await freePort();
    const env = {
      DYNAMODB_ENDPOINT: database.dynamo.endpoint,
      ...keyEnv,
      SES_ENDPOINT: ses.url,
      LAMBDA_ENDPOINT: `http://127.0.0.1:${lambdaPort}`,
      ...options.env,
    };
    await options.prepare?.(env, database);
    offline = await startOffline({ httpPort: options.httpPort ?? (await freePort()), lambdaPort, env, stdio: 'pipe' });
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
