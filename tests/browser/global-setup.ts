import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { build } from 'esbuild';
import { newKeySet } from '../../lib/access/signing-keys';
import { freePort, startApiStack } from '../../scripts/local-stack';
import { newUser } from '../support/data';
import { withAdmin } from '../support/stack';
import { ensureChromium } from './chromium';

const APP_DIR = join(__dirname, 'app');

/**
 * The client pages: one template (app/page.html), one client (app/client.js), four behaviours; the
 * passkeys page is the cookie client plus app/passkeys.js, the part a front-end writes with
 * @simplewebauthn/browser.
 */
const CLIENTS: Record<string, { title: string; mode: string; script?: string }> = {
  header: { title: 'React (plain): x-access-token, sign-in body in localStorage', mode: 'header' },
  bearer: { title: 'Vue 3: Authorization Bearer, sign-in body in localStorage', mode: 'bearer' },
  refresh: { title: 'React with refresh tokens: interceptor that resends the first refresh token', mode: 'refresh' },
  cookie: { title: 'Angular 16 (HttpOnly cookie): withCredentials, no token header, sessionStorage', mode: 'cookie' },
  passkeys: { title: 'Passkeys (@simplewebauthn/browser) on the cookie client', mode: 'cookie', script: '/passkeys.js' },
};

/**
 * app/passkeys.js with @simplewebauthn/browser, bundled by esbuild into one classic script, in memory:
 * the page loads nothing from elsewhere, and nothing built is kept on disk.
 */
async function passkeysBundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(APP_DIR, 'passkeys.js')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The client pages on their own origin (http://localhost:8081, or a free port when that one is taken). */
async function serveApp(apiUrl: string): Promise<{ server: Server; origin: string }> {
  const scripts: Record<string, string> = { '/passkeys.js': await passkeysBundle() };
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/config.js') {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(`window.API = ${JSON.stringify(apiUrl)};`);
      return;
    }
    const name = /^\/([a-z]+)\.html$/.exec(path)?.[1];
    const client = name === undefined ? undefined : CLIENTS[name];
    if (client !== undefined) {
      const page = (await readFile(join(APP_DIR, 'page.html'), 'utf8'))
        .replaceAll('{{mode}}', client.mode)
        .replaceAll('{{title}}', client.title)
        .replaceAll('{{scripts}}', client.script === undefined ? '' : `<script src="${client.script}"></script>`);
      response.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(page);
    } else if (path === '/oauth/callback') {
      // The social sign-in's return page (OAUTH_REDIRECT_URLS' default: /oauth/callback on the CORS origin).
      response.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(await readFile(join(APP_DIR, 'oauth-callback.html')));
    } else if (path === '/client.js') {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(await readFile(join(APP_DIR, 'client.js')));
    } else if (scripts[path] !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(scripts[path]);
    } else {
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
    ports: { api: apiPort },
    env: {
      CORS_ORIGIN: app.origin,
      // Passkeys: the pages' origin, on the RP id `localhost` (its default). WebAuthn needs a secure
      // context (http://localhost is one) and an RP id that is the page's host or a parent of it: a page
      // on http://127.0.0.1, secure as well, is refused by Chromium ("invalid domain": an IP is no RP id).
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: app.origin,
      BCRYPT_COST: '4',
      ACCESS_TOKEN_TTL: '10',
      // The cookie (and the session) lives this long: cookie clients never refresh.
      REFRESH_TOKEN_TTL: '40',
      // The tutorial's refresh-token client keeps sending its first refresh token (docs/cookies-and-front-ends.md, "Front-ends").
      REFRESH_ROTATION: 'off',
      AUTHORIZER_CACHE_TTL: '2',
    },
    prepare: withAdmin(admin),
  });
  Object.assign(globalThis, { __stack: stack, __app: app.server });
  Object.assign(process.env, {
    BROWSER_CHROMIUM: chromium,
    BROWSER_APP_ORIGIN: app.origin,
    BROWSER_API_URL: apiUrl,
    BROWSER_ADMIN: JSON.stringify(admin),
    BROWSER_REVOCATION_BOUND_MS: String(Number(stack.env.AUTHORIZER_CACHE_TTL) * 1000),
    // The hosted pages' tests read mail and forget a mail quota as the e2e tier does (tests/support/mail.ts).
    E2E_SES_URL: stack.sesUrl,
    E2E_DYNAMODB_ENDPOINT: stack.database.dynamo.endpoint,
    E2E_TABLE_NAME: stack.database.tableName,
  });
}
