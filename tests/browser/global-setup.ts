import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { newKeySet } from '../../lib/access/keys';
import { ensureAdmin } from '../../lib/account/bootstrap';
import { accountDeps } from '../../lib/account/types';
import { loadConfig } from '../../lib/shared/config';
import { createTable } from '../../lib/store/table';
import { freePort, startApiStack } from '../../scripts/local-stack';
import { newUser } from '../support/data';
import { ensureChromium } from './chromium';

const APP_DIR = join(__dirname, 'app');

/** The client pages on their own origin (http://localhost:8081, or a free port when that one is taken). */
async function serveApp(apiUrl: string): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/config.js') {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(`window.API = ${JSON.stringify(apiUrl)};`);
      return;
    }
    const file = /^\/[a-z-]+\.(html|js)$/.test(path) ? path.slice(1) : undefined;
    try {
      if (!file) throw new Error('not found');
      const body = await readFile(join(APP_DIR, file));
      response.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html' : 'text/javascript', 'cache-control': 'no-store' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  for (const port of [Number(process.env.BROWSER_APP_PORT ?? 8081), 0]) {
    try {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      return { server, origin: `http://localhost:${(server.address() as { port: number }).port}` };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new Error('no port for the client pages');
}

/**
 * Chromium (installed if missing), the service on free ports with short token lifetimes so the clients
 * meet expiry within a test, and the client pages on a second origin. The API is addressed as
 * `localhost`, like the pages, so the two are same-site and the SameSite=Lax cookie flows as it does
 * for a front-end and API under one site.
 */
export default async function globalSetup(): Promise<void> {
  const chromium = ensureChromium();
  const apiPort = await freePort();
  const apiUrl = `http://localhost:${apiPort}`;
  const app = await serveApp(apiUrl);
  const admin = newUser('badmin');
  const stack = await startApiStack({
    keySet: await newKeySet('browser-key'),
    httpPort: apiPort,
    env: {
      CORS_ORIGIN: app.origin,
      BCRYPT_COST: '4',
      ACCESS_TOKEN_TTL: '10',
      // The cookie (and the session) lives this long: cookie clients never refresh.
      REFRESH_TOKEN_TTL: '40',
      // The tutorial's refresh-token client keeps sending its first refresh token (README, "Front-ends").
      REFRESH_ROTATION: 'off',
      AUTHORIZER_CACHE_TTL: '2',
    },
    prepare: async (env, database) => {
      const config = loadConfig({ ...env, TABLE_NAME: database.tableName });
      const table = createTable(config);
      await ensureAdmin(accountDeps(table, config), admin);
      table.client.destroy();
    },
  });
  Object.assign(globalThis, { __stack: stack, __app: app.server });
  Object.assign(process.env, {
    BROWSER_CHROMIUM: chromium,
    BROWSER_APP_ORIGIN: app.origin,
    BROWSER_API_URL: apiUrl,
    BROWSER_ADMIN: JSON.stringify(admin),
    BROWSER_REVOCATION_BOUND_MS: String(Number(stack.env.AUTHORIZER_CACHE_TTL) * 1000),
  });
}
