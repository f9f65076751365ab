import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopChild } from './dynamodb-local';

const ROOT = join(__dirname, '..');

export interface SesEmulator {
  /** The SES endpoint, web UI at `/`, sent mail at `GET /store`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the aws-ses-v2-local emulator (SES v1 and v2 API, mail kept in memory) on the loopback
 * interface. Resolves once it answers its health check.
 */
export async function startSesEmulator(options: { port: number }): Promise<SesEmulator> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/aws-ses-v2-local/dist/cli.js'), '--host', '127.0.0.1', '--port', String(options.port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-5000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-5000)));
  const url = `http://127.0.0.1:${options.port}`;
  const stop = () => stopChild(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the SES emulator exited (code ${child.exitCode}):\n${output}`);
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
