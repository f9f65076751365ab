import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/local-stack';

// `npm start` with a bad variable stops before it starts anything, with one line per bad variable and no
// stack trace. Its entry runs as npm runs it (node --import tsx scripts/start.ts), on free ports of its own
// and with its key and data folders in a scratch directory, so that if it did start, nothing of another
// stack would be touched, and what it left behind would show.
const ROOT = join(__dirname, '../..');
let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'jwt-auth-start-config-'));
});
let group: number | undefined;
afterEach(() => {
  if (group !== undefined) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone: the usual case.
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

async function start(env: Record<string, string>) {
  const ports = { PORT: await freePort(), DYNAMODB_PORT: await freePort(), LAMBDA_PORT: await freePort(), SES_PORT: await freePort() };
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    // Its own process group, ended as a whole (afterEach): a start that went ahead leaves no tool behind.
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLS_TELEMETRY_DISABLED: '1',
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      SIGNING_KEY_FILE: join(scratch, 'keys/local-signing-keys.json'),
      DYNAMODB_DATA_PATH: join(scratch, 'db'),
      ...env,
    },
  });
  group = child.pid;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Bounded: a start that went ahead would not end on its own (nor on SIGTERM while it starts), so its whole group goes.
  const deadline = setTimeout(() => process.kill(-(child.pid ?? 0), 'SIGKILL'), 30_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(deadline);
  const run = { code, stdout, stderr };
  const listening = await Promise.all(Object.values(ports).map(answers));
  return { ...run, listening, wroteKeys: existsSync(join(scratch, 'keys')), wroteData: existsSync(join(scratch, 'db')) };
}

/** True when something accepts a connection on the loopback port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start with a bad configuration', () => {
  it('stops with the one line that names the variable, its value and the range, and starts nothing', async () => {
    const run = await start({ ACCESS_TOKEN_TTL: '5' });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ACCESS_TOKEN_TTL=5 is out of range: 10..86400 (seconds)\n',
      listening: [false, false, false, false],
      wroteKeys: false,
      wroteData: false,
    });
  });

  it('names every bad variable, its own ports included, one line each', async () => {
    const run = await start({ SES_PORT: '80000', BCRYPT_COST: 'high', AUTH_COOKIE_SAMESITE: 'loose', REFRESH_ROTATION: 'maybe' });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'SES_PORT=80000 is out of range: 1..65535 (port)',
        'REFRESH_ROTATION=maybe is not one of: on, off',
        'BCRYPT_COST=high is not a whole number: 4..15 (log2 rounds)',
        'AUTH_COOKIE_SAMESITE=loose is not one of: Lax, Strict, None',
        '',
      ].join('\n'),
      listening: [false, false, false, false],
      wroteKeys: false,
      wroteData: false,
    });
  });
});
