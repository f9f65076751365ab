import { join } from 'node:path';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { NotFoundError } from '../../lib/shared/errors';
import { MESSAGES } from '../../lib/shared/messages';
import { answer, CONTENT_SECURITY_POLICY, loadSite, type Site } from '../../lib/web/site';

config();

// The working directory: on Lambda the package's root (/var/task), which holds web/dist (serverless.yml,
// the function's package patterns); under serverless-offline the service folder, where it is built.
const site: Site = loadSite(join(process.cwd(), 'web/dist'));

const PAGE_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** GET /auth/…, /admin, /docs: the hosted pages and their assets (lib/web/site.ts). */
export const handler = httpHandler(async (request) => {
  const { productName, oauthRedirectUrls } = config();
  const found = answer(site, request.path, request.basePath, { productName, returnUrls: oauthRedirectUrls });
  if (found.kind === 'page') {
    // Revalidated on every visit: a page names this build's assets.
    return { text: found.html, headers: { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' } };
  }
  if (found.kind === 'file') {
    const cache = found.immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
    return { text: found.file.body, headers: { ...PAGE_HEADERS, 'Content-Type': found.file.contentType, 'Cache-Control': cache } };
  }
  throw new NotFoundError(MESSAGES.notFound);
});
