import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAdmin } from '../../lib/admin';
import { loadConfig } from '../../lib/config';
import { generateSigningKey } from '../../lib/keys';
import { createTable } from '../../lib/store/table';
import { freePort, startDatabase, startOffline, type LocalStack, type Offline } from '../../scripts/local-stack';
import { newUser } from '../support/data';

/**
 * The real thing, private to this run: DynamoDB Local and serverless-offline on free ports, a signing
 * key made for the run, and an admin created the way `npm start` creates one.
 */
export default async function globalSetup(): Promise<void> {
  const keyDir = await mkdtemp(join(tmpdir(), 'jwt-auth-e2e-'));
  const keyFile = join(keyDir, 'signing-keys.json');
  const keySet = JSON.stringify({ keys: [await generateSigningKey('e2e-key')] });
  await writeFile(keyFile, keySet, { mode: 0o600 });

  const database = await startDatabase({ port: await freePort() });
  const env = {
    DYNAMODB_ENDPOINT: database.dynamo.endpoint,
    SIGNING_KEY_FILE: keyFile,
    // Low for speed, high enough that one compare (~20 ms) stands out of HTTP noise in the timing test.
    BCRYPT_COST: '8',
    CORS_ORIGIN: 'http://localhost:8081',
    // Short windows so the tests can watch locks expire and revocations arrive.
    AUTHORIZER_CACHE_TTL: '2',
    LOCKOUT_THRESHOLD: '5',
    // High enough that the rest of the suite (all from 127.0.0.1) never meets it within one window.
    LOCKOUT_IP_THRESHOLD: '60',
    LOCKOUT_WINDOW: '4',
  };
  const admin = newUser('admin');
  const config = loadConfig({ ...env, TABLE_NAME: database.tableName });
  const table = createTable(config);
  await ensureAdmin({ table, now: () => new Date(), config }, admin);
  table.client.destroy();

  let offline: Offline;
  try {
    offline = await startOffline({ httpPort: await freePort(), lambdaPort: await freePort(), env, stdio: 'pipe' });
  } catch (error) {
    await database.dynamo.stop();
    throw error;
  }
  Object.assign(globalThis, { __database: database, __offline: offline });
  Object.assign(process.env, {
    E2E_URL: offline.url,
    E2E_KEY_SET: keySet,
    E2E_ADMIN: JSON.stringify(admin),
    E2E_ISSUER: config.issuer,
    E2E_AUDIENCE: config.audience,
    E2E_DYNAMODB_ENDPOINT: database.dynamo.endpoint,
    E2E_TABLE_NAME: database.tableName,
    E2E_REVOCATION_BOUND_MS: String(Number(env.AUTHORIZER_CACHE_TTL) * 1000),
    E2E_LOCKOUT_WINDOW_MS: String(Number(env.LOCKOUT_WINDOW) * 1000),
    E2E_LOCKOUT_IP_THRESHOLD: env.LOCKOUT_IP_THRESHOLD,
    E2E_BCRYPT_COST: env.BCRYPT_COST,
  });
}
