import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * The hosted pages (sign-in, sign-up, password reset, email verification, account, admin console, API
 * reference): built by web/build.ts into `web/dist/`, served by one function (handlers/web/pages.ts) on
 * the service's own origin. Nothing here knows AWS: a path in, an answer out.
 *
 * `web/dist/pages/<name>.html` are the pages, `web/dist/assets/` their scripts and styles, named by
 * content hash (so cached for a year: a new build has new names), `web/dist/docs/openapi.yaml` the API
 * description the reference page reads.
 */

/** What a page needs that only the server knows, in `<meta name="auth-config">` (no inline script). */
export interface PageConfig {
  productName: string;
  /** Where a page may send the browser after sign-in (`?return_to=`): OAUTH_REDIRECT_URLS, compared exactly. */
  returnUrls: string[];
}

export interface SiteFile {
  contentType: string;
  body: string;
}

export interface Site {
  pages: Map<string, string>;
  files: Map<string, SiteFile>;
}

export type SiteAnswer = { kind: 'page'; html: string } | { kind: 'file'; file: SiteFile; immutable: boolean } | { kind: 'missing' };

/** URL path (without the stage) → page name in web/dist/pages. One level deep: relative links need no more. */
export const PAGE_ROUTES: Record<string, string> = {
  '/auth': 'sign-in',
  '/auth/sign-in': 'sign-in',
  '/auth/sign-up': 'sign-up',
  '/auth/forgot-password': 'forgot-password',
  // The emailed links' targets (lib/account/mail-delivery.ts: `${APP_URL}/reset-password#token=…`).
  '/auth/reset-password': 'reset-password',
  '/auth/verify-email': 'verify-email',
  // A social sign-in's return page (always among the allowed redirect URLs: lib/shared/config.ts).
  '/auth/oauth-callback': 'oauth-callback',
  '/auth/account': 'account',
  '/admin': 'admin',
  '/docs': 'docs',
};

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.yaml': 'application/yaml; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Every page: scripts and styles from this origin only, none inline; calls to this origin only; no
 * framing (clickjacking a sign-in form); no `<base>` but ours, no form posted elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Reads web/dist once (a cold start): every file of it is small text. Throws when it was never built. */
export function loadSite(root: string): Site {
  const pages = new Map<string, string>();
  const files = new Map<string, SiteFile>();
  let names: string[];
  try {
    names = readdirSync(root, { recursive: true, encoding: 'utf8' });
  } catch {
    throw new Error(`the hosted pages are not built (${root} is missing): npm run build:web`);
  }
  for (const name of names) {
    const path = join(root, name);
    const key = relative(root, path).split(sep).join('/');
    const type = CONTENT_TYPES[extensionOf(key)];
    if (key.startsWith('pages/') && key.endsWith('.html')) pages.set(key.slice('pages/'.length, -'.html'.length), readFileSync(path, 'utf8'));
    else if (type !== undefined) files.set(`/${key}`, { contentType: type, body: readFileSync(path, 'utf8') });
  }
  return { pages, files };
}

/**
 * The answer for a GET of `path`. A page gets `<base href>` of the service (so its relative links and
 * its API calls work under a stage path too) and its configuration; assets under `/auth/assets/` are
 * the hashed build outputs. A trailing slash is the same page; anything else is missing.
 */
export function answer(site: Site, path: string, basePath: string, config: PageConfig): SiteAnswer {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const pageName = PAGE_ROUTES[trimmed];
  const html = pageName === undefined ? undefined : site.pages.get(pageName);
  if (html !== undefined) return { kind: 'page', html: withContext(html, basePath, config) };
  const hashed = /^\/auth(\/assets\/[A-Za-z0-9._-]+)$/.exec(trimmed)?.[1];
  const asset = hashed ?? (trimmed === '/docs/openapi.yaml' ? trimmed : undefined);
  const file = asset === undefined ? undefined : site.files.get(asset);
  if (file !== undefined) return { kind: 'file', file, immutable: hashed !== undefined };
  return { kind: 'missing' };
}

function withContext(html: string, basePath: string, config: PageConfig): string {
  return html.replace('{{base}}', escapeAttribute(`${basePath}/`)).replace('{{config}}', escapeAttribute(JSON.stringify(config)));
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot);
}
