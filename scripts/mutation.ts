import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort, startDatabase } from './local-stack';

/**
 * npm run test:mutation: one DynamoDB Local (in memory) for the whole Stryker run, then `stryker run`
 * with its endpoint in the environment (tests/mutation/global-setup.ts uses it instead of starting one
 * per mutant). Arguments pass through to Stryker, e.g. `npm run test:mutation -- --mutate lib/access/policy.ts`.
 * Niced: the run takes long and the machine is shared.
 */
async function main(): Promise<number> {
  const database = await startDatabase({ port: await freePort() });
  try {
    const stryker = spawn('nice', ['-n', '10', join(__dirname, '../node_modules/.bin/stryker'), 'run', ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, DYNAMODB_ENDPOINT: database.dynamo.endpoint, TABLE_NAME: database.tableName },
    });
    const [code, signal] = (await once(stryker, 'exit')) as [number | null, NodeJS.Signals | null];
    return code ?? (signal ? 1 : 0);
  } finally {
    await database.dynamo.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
