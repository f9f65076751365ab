import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../scripts/local-proxy';
import { startSesEmulator } from '../../scripts/ses-local';
import { onFreePort, StartFailure, startAndWait, stopChild } from '../../scripts/start-and-wait';

// A port found free can be taken before the tool binds it (freePort closes it first). These start the SES
// emulator, the quickest of the stack's real tools, on a port another server holds: the start is retried
// on a new port. They spawn processes and listen on 127.0.0.1, unlike the rest of the unit tier.
// Starting real processes on a loaded machine takes seconds; the tools' own deadlines bound each start.
jest.setTimeout(120_000);
const EMULATOR = join(__dirname, '../../node_modules/aws-ses-v2-local/dist/cli.js');
let held: Server;
let heldPort: number;
beforeEach(async () => {
  // Takes the port and drops whoever connects, as a busy port's owner would not answer the tool's probe.
  held = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
  await once(held, 'listening');
  heldPort = (held.address() as { port: number }).port;
});
afterEach(() => new Promise<void>((resolve) => held.close(() => resolve())));

/** The held port first, then free ones; counts the picks. */
function picker() {
  const picked: number[] = [];
  const pick = async () => {
    const port = picked.length === 0 ? heldPort : await freePort();
    picked.push(port);
    return port;
  };
  return { picked, pick };
}

const emulator = (port: number, ready: (port: number) => Promise<boolean>) =>
  startAndWait({
    name: 'the SES emulator',
    command: process.execPath,
    args: [EMULATOR, '--host', '127.0.0.1', '--port', String(port)],
    spawn: { stdio: ['ignore', 'pipe', 'pipe'] },
    ready: () => ready(port),
    withinSeconds: 30,
    everyMs: 100,
    keep: 5000,
  });
const healthy = async (port: number) => (await fetch(`http://127.0.0.1:${port}/health-check`)).ok;

describe('local tools on a port taken after it was found free', () => {
  it('a child that cannot bind is started again on another port', async () => {
    const { picked, pick } = picker();
    const started = await onFreePort((port) => emulator(port, healthy), { pick });
    try {
      expect(picked).toHaveLength(2);
      expect(picked[0]).toBe(heldPort);
      expect(await healthy(picked[1]!)).toBe(true);
    } finally {
      await stopChild(started.child);
    }
  });

  it('the SES proxy that cannot listen is started again on another port', async () => {
    const { picked, pick } = picker();
    const ses = await onFreePort((port) => startSesEmulator({ port }), { pick });
    try {
      expect(picked).toHaveLength(2);
      expect(ses.url).toBe(`http://127.0.0.1:${picked[1]}`);
      expect((await fetch(`${ses.url}/health-check`)).ok).toBe(true);
    } finally {
      await ses.stop();
    }
  });

  it('gives up after the attempts allowed, naming the tool and its port', async () => {
    let picks = 0;
    const start = onFreePort((port) => emulator(port, healthy), {
      attempts: 2,
      pick: async () => {
        picks++;
        return heldPort;
      },
    });
    await expect(start).rejects.toThrow(StartFailure);
    await expect(start).rejects.toMatchObject({ addressInUse: true, message: expect.stringMatching(/^the SES emulator exited \(code 1\)/) });
    expect(picks).toBe(2);
  });

  it('does not retry a start that failed for another reason', async () => {
    let picks = 0;
    const start = onFreePort(
      () =>
        startAndWait({
          name: 'a tool',
          command: process.execPath,
          args: ['-e', 'console.error("no such config"); process.exit(3)'],
          spawn: { stdio: ['ignore', 'pipe', 'pipe'] },
          ready: async () => false,
          withinSeconds: 30,
          everyMs: 100,
          keep: 5000,
        }),
      {
        pick: async () => {
          picks++;
          return freePort();
        },
      },
    );
    await expect(start).rejects.toMatchObject({ addressInUse: false, message: 'a tool exited (code 3):\nno such config\n' });
    expect(picks).toBe(1);
  });
});
