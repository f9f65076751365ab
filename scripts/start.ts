/**
 * `npm start`: the local stack (scripts/local-stack.ts) on the ports of localPorts() (8080, 8000, 3002,
 * 8005, 8006 by default), with the keys kept in .keys/ and, when ADMIN_* are set, that admin. The functions
 * are built once; `npm start -- --watch` rebuilds them on change instead. Ctrl-C stops everything, Java
 * included.
 */
import { dirname, join, resolve } from 'node:path';
import { ensureAdmin } from '../lib/account/bootstrap';
import { accountDeps } from '../lib/account/types';
import { ConfigError, configProblems, loadConfig, localPorts } from '../lib/shared/config';
import { createTable } from '../lib/store/table';
import { limitsNotice } from './limits-notice';
import { type ApiStack, LOCAL_TABLE_NAME, startApiStack } from './local-stack';

const ROOT = join(__dirname, '..');
const USAGE = 'usage: npm start [-- --watch]';

async function main(): Promise<void> {
  const flags = process.argv.slice(2);
  const unknown = flags.filter((flag) => flag !== '--watch');
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(' ')}\n${USAGE}`);
  const watch = flags.includes('--watch');
  // The whole configuration, before anything starts: the functions read the same variables at cold start
  // (serverless.yml passes them on), and a bad one would fail each of them there, once per function and
  // request, behind an "API ready". The table and the cookie name come from serverless.yml, not the shell.
  const functionEnv = { ...process.env, TABLE_NAME: LOCAL_TABLE_NAME, AUTH_COOKIE_NAME: 'jwt_session' };
  const problems = [...configProblems(() => localPorts()), ...configProblems(() => loadConfig(functionEnv))];
  if (problems.length > 0) throw new ConfigError(problems);
  const { api, dynamodb, lambda, ses, oidc } = localPorts();
  // The four key parts sit beside the signing key file (scripts/local-keys.ts).
  const keyDir = dirname(resolve(ROOT, process.env.SIGNING_KEY_FILE ?? '.keys/local-signing-keys.json'));

  let starting: Promise<ApiStack> | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // A stop during start waits for it: what it started is then stopped, never left behind.
    await (await starting?.catch(() => undefined))?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  starting = startApiStack({
    keyDir,
    dbPath: process.env.DYNAMODB_DATA_PATH ? resolve(process.env.DYNAMODB_DATA_PATH) : undefined,
    ports: { api, dynamodb, lambda, ses, oidc },
    // The shell's own providers stay beside the local provider dev (scripts/local-stack.ts withDevProvider).
    env: ownProviders(process.env),
    stdio: 'inherit',
    watch,
    report: (line) => console.log(line),
    prepare: async (env, database) => {
      const { ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD } = process.env;
      if (!(ADMIN_USERNAME && ADMIN_EMAIL && ADMIN_PASSWORD)) return;
      const config = loadConfig({ ...process.env, ...env, TABLE_NAME: database.tableName });
      const table = createTable(config);
      const outcome = await ensureAdmin(accountDeps(table, config), { username: ADMIN_USERNAME, email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      table.client.destroy();
      console.log(`admin ${ADMIN_USERNAME}: ${outcome}`);
    },
  });
  const stack = await starting;
  const built = watch ? 'rebuilt on change (--watch)' : 'built once; `npm start -- --watch` rebuilds on change';
  console.log(`\nAPI ready: ${stack.url} (try: curl ${stack.url}/api/test/all). Functions ${built}. Ctrl-C stops everything.`);
  console.log(limitsNotice(loadConfig(functionEnv)));
  void stack.offlineExited.then((code) => stop(code));
}

/** OIDC_PROVIDERS and OIDC_CLIENT_SECRETS as the shell sets them (each left out when unset). */
function ownProviders(env: NodeJS.ProcessEnv): Record<string, string> {
  const own: Record<string, string> = {};
  for (const name of ['OIDC_PROVIDERS', 'OIDC_CLIENT_SECRETS']) {
    const value = env[name];
    if (value !== undefined) own[name] = value;
  }
  return own;
}

main().catch((error: unknown) => {
  // A bad variable (one line each), a missing Java or a busy port: say so plainly, without a stack trace.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
