/**
 * `npm start`: DynamoDB Local + tables + signing key + (optional) admin + the SES emulator on :8005 +
 * serverless-offline on :8080. Ctrl-C stops everything, Java included.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ensureAdmin } from '../lib/account/bootstrap';
import { accountDeps } from '../lib/account/types';
import { loadConfig, localPorts } from '../lib/shared/config';
import { createTable } from '../lib/store/table';
import { ensureLocalKeys } from './local-keys';
import { startDatabase, startOffline } from './local-stack';
import { startSesEmulator } from './ses-local';

const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const { api: httpPort, dynamodb: dynamoPort, lambda: lambdaPort, ses: sesPort } = localPorts();
  const dbPath = process.env.DYNAMODB_DATA_PATH ? resolve(process.env.DYNAMODB_DATA_PATH) : undefined;
  // The four key parts sit beside the signing key file (scripts/local-keys.ts).
  const keyDir = dirname(resolve(ROOT, process.env.SIGNING_KEY_FILE ?? '.keys/local-signing-keys.json'));

  // DynamoDB Local wants the data folder to exist already.
  if (dbPath) await mkdir(dbPath, { recursive: true });
  const keys = await ensureLocalKeys(keyDir);
  console.log(`keys: ${keyDir} (${keys.state})`);

  const database = await startDatabase({ port: dynamoPort, dbPath });
  console.log(`DynamoDB Local: ${database.dynamo.endpoint} (${dbPath ? `data in ${dbPath}` : 'in memory'}), table ${database.tableName}`);

  let offline: Awaited<ReturnType<typeof startOffline>> | undefined;
  let ses: Awaited<ReturnType<typeof startSesEmulator>> | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await offline?.stop().catch(() => undefined);
    await ses?.stop().catch(() => undefined);
    await database.dynamo.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    ses = await startSesEmulator({ port: sesPort });
    console.log(`SES emulator: ${ses.url} (sent mail in its web UI, and as JSON at ${ses.url}/store)`);
    const env = {
      DYNAMODB_ENDPOINT: database.dynamo.endpoint,
      ...keys.env,
      SES_ENDPOINT: ses.url,
      LAMBDA_ENDPOINT: `http://127.0.0.1:${lambdaPort}`,
    };
    const { ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD } = process.env;
    if (ADMIN_USERNAME && ADMIN_EMAIL && ADMIN_PASSWORD) {
      const config = loadConfig({ ...process.env, ...env, TABLE_NAME: database.tableName });
      const table = createTable(config);
      const outcome = await ensureAdmin(accountDeps(table, config), { username: ADMIN_USERNAME, email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      console.log(`admin ${ADMIN_USERNAME}: ${outcome}`);
    }
    offline = await startOffline({ httpPort, lambdaPort, env, stdio: 'inherit' });
    console.log(`\nAPI ready: ${offline.url} (try: curl ${offline.url}/api/test/all). Ctrl-C stops everything.`);
    offline.child.once('exit', (code) => void stop(code ?? 1));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    await stop(1);
  }
}

main().catch((error: unknown) => {
  // A missing Java or a busy port: say so plainly, without a stack trace.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
