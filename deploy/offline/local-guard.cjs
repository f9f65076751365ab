'use strict';
/**
 * Local stage only: keeps web pages away from the local servers.
 *
 * - The Lambda invoke endpoint (LAMBDA_PORT, 3002) runs any function with any event, authorizer context
 *   included: a page that could reach it could act as any user or admin. A `text/plain` POST needs no
 *   preflight, and serverless-offline answers every Origin, so any site the developer opens could. It
 *   now answers only requests no browser sends: none carrying `Origin` or `Sec-Fetch-Site` (browsers add
 *   one or both to every cross-site request, and to every POST), and only with `Host` 127.0.0.1 or
 *   localhost at its own port. The authorizer emulation and the AWS SDK / CLI send neither header.
 * - The API port (8080), DynamoDB Local (8000) and the SES emulator (8005) refuse a `Host` that is not a
 *   loopback name: a page on a name the attacker re-points at 127.0.0.1 (DNS rebinding) is same-origin
 *   to itself, so no Origin check can stop it; the Host header it must send can. LOCAL_ALLOWED_HOSTS adds
 *   names for developers who serve the local stage under another name on purpose.
 * - DynamoDB Local accepts any signature, so it answers no browser at all (as the invoke endpoint); the
 *   SES emulator answers its own web UI (same origin) and no other page.
 *
 * Installed by deploy/offline/plugin.cjs before serverless-offline starts its servers; used by the
 * loopback proxy in front of the SES emulator (scripts/local-proxy.ts); DynamoDB Local applies the same
 * rule for 'dynamodb' inside Java, with these names (scripts/DynamoDbLocalOnLoopback.java: keep the two
 * alike; tests/e2e/local-guard.test.ts checks both over HTTP). Nothing here is deployed.
 */
const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Host names allowed beside 127.0.0.0/8 on the API, DynamoDB and SES ports: the local names and LOCAL_ALLOWED_HOSTS (comma-separated). */
function allowedApiHosts(env = process.env) {
  const extra = (env.LOCAL_ALLOWED_HOSTS || '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  return new Set([...LOCAL_NAMES, ...extra]);
}

/** `Host` split into name and port (`[::1]:3002` included); undefined when absent or malformed. */
function parseHost(host) {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(String(host ?? '').trim());
  return match ? { name: match[1].toLowerCase(), port: match[2] === undefined ? undefined : Number(match[2]) } : undefined;
}

/** A loopback name: one of `allowedHosts`, or an IPv4 address in 127.0.0.0/8 (no page can be served from one but by this machine). */
function isLoopbackName(name, allowedHosts) {
  if (allowedHosts.has(name)) return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets?.slice(1).every((octet) => Number(octet) <= 255) === true;
}

/**
 * Why a request to one of the local servers is refused, or undefined when it may pass.
 * `server`: 'lambda' (the invoke endpoint), 'api', 'dynamodb' or 'ses'; `port`: the port that server listens on.
 */
function refusal(headers, { server, port, allowedHosts = allowedApiHosts() }) {
  const host = parseHost(headers.host);
  if (server === 'lambda') {
    if (headers.origin !== undefined || headers['sec-fetch-site'] !== undefined) {
      return 'The local Lambda invoke endpoint does not answer browsers.';
    }
    if (!host || !['localhost', '127.0.0.1'].includes(host.name) || host.port !== port) {
      return 'The local Lambda invoke endpoint answers only 127.0.0.1 and localhost.';
    }
    return undefined;
  }
  if (!host || !isLoopbackName(host.name, allowedHosts)) return 'Host not allowed.';
  if (server === 'dynamodb' && (headers.origin !== undefined || headers['sec-fetch-site'] !== undefined)) {
    return 'DynamoDB Local does not answer browsers.';
  }
  // The emulator's web UI calls it from its own origin; any other page's request carries another Origin.
  if (server === 'ses' && headers.origin !== undefined && String(headers.origin).toLowerCase() !== `http://${String(headers.host).trim().toLowerCase()}`) {
    return 'The SES emulator answers only its own pages.';
  }
  return undefined;
}

/**
 * The prototype of the hapi servers serverless-offline makes (the same module instance, so it is
 * shared). hapi's `Server` is a factory, so the prototype is taken from an instance that never listens.
 */
function hapiServerPrototype() {
  const offline = require.resolve('serverless-offline');
  const { Server } = require(require.resolve('@hapi/hapi', { paths: [offline] }));
  return Object.getPrototypeOf(Server({ autoListen: false }));
}

let installed = false;

/** Adds the guard to every hapi server serverless-offline starts in this process. */
function installLocalGuards() {
  if (installed) return;
  installed = true;
  const prototype = hapiServerPrototype();
  const start = prototype.start;
  const allowedHosts = allowedApiHosts();
  prototype.start = function startGuarded(...args) {
    const server = this.table().some((route) => route.path.startsWith('/2015-03-31/functions/')) ? 'lambda' : 'api';
    this.ext('onRequest', (request, h) => {
      const reason = refusal(request.headers, { server, port: this.info.port, allowedHosts });
      if (reason === undefined) return h.continue;
      return h
        .response(JSON.stringify({ message: reason }))
        .code(403)
        .type('application/json')
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .takeover();
    });
    return start.apply(this, args);
  };
}

module.exports = { installLocalGuards, refusal, allowedApiHosts, parseHost };
