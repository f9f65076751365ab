import { join } from 'node:path';
import { startLocalProxy } from './local-proxy';
import { onFreePort, startAndWait, stopChild } from './start-and-wait';

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
  const proxy = await startLocalProxy({ server: 'ses', port: options.port, target: 0 });
  try {
    // The emulator's own port is private, so a port taken before the emulator binds it is simply replaced.
    const { child } = await onFreePort(async (emulatorPort) => {
      proxy.retarget(emulatorPort);
      return startAndWait({
        name: 'the SES emulator',
        command: process.execPath,
        args: [join(ROOT, 'node_modules/aws-ses-v2-local/dist/cli.js'), '--host', '127.0.0.1', '--port', String(emulatorPort)],
        spawn: { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        ready: async () => (await fetch(`${proxy.url}/health-check`)).ok,
        withinSeconds: 30,
        everyMs: 100,
        keep: 5000,
      });
    });
    return {
      url: proxy.url,
      stop: async () => {
        await proxy.close();
        await stopChild(child);
      },
    };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}
