import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopChild } from './dynamodb-local';
import { freePort, startLocalProxy } from './local-proxy';

const ROOT = join(__dirname, '..');

export interface SesEmulator {
  /** The SES endpoint, web UI at `/`, sent mail at `GET /store`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the aws-ses-v2-local emulator (SES v1 and v2 API, mail kept in memory) on 127.0.0.1 at a
 * private port, behind a proxy on 127.0.0.1:`port` that refuses other `Host` names and other pages'
 * requests (the emulator answers any `Host`, so a rebinding page could read reset links from `/store`).
 * Resolves once it answers its health check through the proxy.
 */
export async function startSesEmulator(options: { port: number }): Promise<SesEmulator> {
  const emulatorPort = await freePort();
  const proxy = await startLocalProxy({ server: 'ses', port: options.port, target: emulatorPort });
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/aws-ses-v2-local/dist/cli.js'), '--host', '127.0.0.1', '--port', String(emulatorPort)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-5000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-5000)));
  const url = proxy.url;
  const stop = async () => {
    await proxy.close();
    await stopChild(child);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await proxy.close();
      throw new Error(`the SES emulator exited (code ${child.exitCode}):\n${output}`);
    }
    try {
      if ((await fetch(`${url}/health-check`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the SES emulator did not answer within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, stop };
}
