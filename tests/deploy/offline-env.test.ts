import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// In `npm start` and the test stacks the functions run in serverless-offline's process (--useInProcess) and
// share one process.env; deploy/offline/plugin.cjs blanks the key-part variables a function is not named
// (docs/deploy.md, "Keys"). Checked on the service's real local configuration, through the plugin and
// serverless-offline's own in-process runner (tests/support/offline-env.ts), each function run after
// every other one.
const ROOT = join(__dirname, '../..');
type Run = { function: string; saw: Record<string, string> };
let functions: Record<string, { environment?: Record<string, string> }>;
let runs: Run[];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwt-auth-offline-env-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, SLS_TELEMETRY_DISABLED: '1' };
  const printed = spawnSync(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'print', '--stage', 'local', '--format', 'json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env,
  });
  if (printed.status !== 0) throw new Error(`osls print failed:\n${printed.stdout}\n${printed.stderr}`);
  const configFile = join(dir, 'local.json');
  writeFileSync(configFile, printed.stdout);
  functions = (JSON.parse(printed.stdout) as { functions: typeof functions }).functions;
  const probed = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/support/offline-env.ts'), configFile], { cwd: ROOT, encoding: 'utf8', env });
  if (probed.status !== 0) throw new Error(`offline-env.ts failed:\n${probed.stderr}`);
  runs = JSON.parse(probed.stdout) as Run[];
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The key-part variables serverless.yml names this function, with a value (a local stage leaves the SSM names empty). */
const ownKeyParts = (name: string) => Object.fromEntries(Object.entries(functions[name]?.environment ?? {}).filter(([, value]) => value !== ''));

describe('serverless-offline in process (npm start, the test stacks)', () => {
  it('shows each function only its own key parts, whichever functions ran before it', () => {
    const names = Object.keys(functions);
    // Every function ran twice (serverless.yml's order, then the reverse), and each of the four parts is named
    // somewhere (SERVICE_URL is every function's now: the hosted pages' address, in emailed links too).
    expect(runs.map((run) => run.function).sort()).toEqual([...names, ...names].sort());
    expect(new Set(names.flatMap((name) => Object.keys(ownKeyParts(name))))).toEqual(
      new Set(['SIGNING_KEY_FILE', 'PUBLIC_KEYS_FILE', 'DATA_KEY_FILE', 'CURSOR_KEY_FILE']),
    );
    for (const run of runs) expect(run).toEqual({ function: run.function, saw: ownKeyParts(run.function) });
  });

  it('shows the private signing keys only to the functions that sign tokens', () => {
    const signers = new Set(runs.filter((run) => run.saw.SIGNING_KEY_FILE).map((run) => run.function));
    expect([...signers].sort()).toEqual(['mfaVerify', 'oauthToken', 'passkeySignInVerify', 'refresh', 'signin']);
  });
});
