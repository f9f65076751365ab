import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputByStep, readmeWalkthrough, walkthroughScript } from './readme-blocks';

// The README's walkthrough, run as written: its start command (the real `npm start`, on the default
// ports the commands name), then its marked blocks in order in one bash process, so variables carry.

const ROOT = join(__dirname, '../..');
const PORTS = {
  8080: 'the API (PORT)',
  8000: 'DynamoDB Local (DYNAMODB_PORT)',
  3002: "serverless-offline's Lambda endpoint (LAMBDA_PORT)",
  8005: 'the SES emulator (SES_PORT)',
};
const START_WITHIN_MS = 300_000;
const WALK_WITHIN_MS = 60_000;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Runs `command` in bash in a process group of its own; resolves with everything it printed once `done` holds, or rejects at the deadline. */
function run(command: string, env: NodeJS.ProcessEnv, done: (output: string, exited: boolean) => boolean, withinMs: number, what: string) {
  const child = spawn('bash', ['-c', command], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const finished = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not done within ${withinMs / 1000} s:\n${output.slice(-4000)}`)), withinMs);
    const check = (exited: boolean) => {
      if (!done(output, exited)) return;
      clearTimeout(timer);
      resolve(output);
    };
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      check(false);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (done(output, true)) resolve(output);
      else reject(new Error(`${what} exited (code ${code}):\n${output.slice(-4000)}`));
    });
  });
  return { child, finished };
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Ctrl-C, as the README says: the whole foreground group gets SIGINT and start.ts stops the stack.
  process.kill(-child.pid!, 'SIGINT');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

describe('the README walkthrough', () => {
  const { start, steps } = readmeWalkthrough();
  let server: ChildProcess | undefined;
  let keyDir: string | undefined;

  afterAll(async () => {
    if (server) await stopGroup(server);
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('runs as written against npm start, every step answering what the README says', async () => {
    expect(start).toMatch(/\bnpm start$/);
    const busy = [];
    for (const [port, what] of Object.entries(PORTS)) if (!(await portFree(Number(port)))) busy.push(`${port} (${what})`);
    if (busy.length > 0) {
      throw new Error(
        `The walkthrough runs npm start on its default ports, as the README's commands name them, but these are in use: ${busy.join(', ')}. Stop what holds them (another npm start?) and run again.`,
      );
    }

    // The README's variables rule: none of the caller's ports, admin or data folder. Only the keys go to a
    // folder of the test's own, so a developer's .keys/ is left alone.
    const {
      PORT: _a,
      DYNAMODB_PORT: _b,
      LAMBDA_PORT: _c,
      SES_PORT: _d,
      ADMIN_USERNAME: _e,
      ADMIN_EMAIL: _f,
      ADMIN_PASSWORD: _g,
      DYNAMODB_DATA_PATH: _h,
      ...env
    } = process.env;
    keyDir = await mkdtemp(join(tmpdir(), 'walkthrough-keys-'));
    const started = run(
      start,
      { ...env, SIGNING_KEY_FILE: join(keyDir, 'local-signing-keys.json') },
      (output) => output.includes('API ready'),
      START_WITHIN_MS,
      start,
    );
    server = started.child;
    const startOutput = await started.finished;
    expect(startOutput).toContain('admin admin: created');
    expect(startOutput).toContain('API ready: http://127.0.0.1:8080');

    const walk = run(walkthroughScript(steps), env, (_output, exited) => exited && walk.child.exitCode === 0, WALK_WITHIN_MS, 'the walkthrough');
    const outputs = outputByStep(await walk.finished);
    expect(outputs).toHaveLength(steps.length);
    const of = (command: string) => {
      const index = steps.findIndex((step) => step.includes(command));
      if (index < 0) throw new Error(`no walkthrough step runs ${command}`);
      return outputs[index]!.trim().split('\n');
    };

    expect(of('api/test/all')).toEqual(['Public Content.']);
    const [registered, user1, user2, mod, alice] = of('api/auth/signup');
    expect(registered).toBe('{"message":"User was registered successfully!"}');
    expect([user1, user2]).toEqual(['User Content.', 'User Content.']);
    expect(mod).toBe('{"message":"Require Moderator Role!"}');
    expect(alice).toMatch(/^alice is [0-9a-f-]{36}, roles \["ROLE_USER"\]$/);
    const userId = alice!.split(' ')[2]!.replace(',', '');
    expect(JSON.parse(of('REFRESHED=')[0]!)).toMatchObject({ id: userId, username: 'alice', emailVerified: false, mfaEnabled: false });
    expect(of('email/verify')).toEqual(['{"message":"Email was verified successfully!"}', 'true']);

    const [list, roles, refused, modContent] = of('admin/users');
    expect((JSON.parse(list!) as { users: { username: string }[] }).users.map((listed) => listed.username)).toEqual(['alice', 'admin']);
    expect(JSON.parse(roles!)).toEqual({ id: userId, roles: ['user', 'moderator'] });
    expect(refused).toBe('{"message":"Session ended. Please sign in again."}');
    expect(modContent).toBe('Moderator Content.');

    const [recovery, mfaEnabled] = of('mfa/totp/setup');
    expect((JSON.parse(recovery!) as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);
    expect(mfaEnabled).toBe('true');

    expect(of('password/forgot')).toEqual([
      '{"message":"If an account uses that email, a reset link has been sent."}',
      '{"message":"Password was reset successfully!"}',
      'admin',
    ]);
  });
});
