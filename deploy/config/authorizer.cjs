'use strict';
/**
 * Where authorizer decisions are cached, for serverless.yml (read when it is resolved: `npm start`,
 * `osls package`, `osls deploy`). One TTL, AUTHORIZER_CACHE_TTL, is the revocation bound either way.
 *
 * AUTHORIZER_CACHE=function (default): API Gateway's result cache is off and the authorizer caches its
 *   own decisions, keyed by source (token header or cookie) and token, for AUTHORIZER_CACHE_TTL. Both
 *   token headers work everywhere, as the contract promises. Cost: one authorizer invocation per
 *   protected request.
 * AUTHORIZER_CACHE=gateway: API Gateway caches each decision for AUTHORIZER_CACHE_TTL, keyed by the
 *   `Authorization` header (the token), and the function cache is off so the bound stays one TTL. With
 *   caching on, API Gateway refuses any request without every identity source before the authorizer
 *   runs, so on such a stage `x-access-token` alone is answered 401 "No token provided!". The authorizer
 *   is told (AUTHORIZER_CACHE) and decides from that header alone: a decision that read a cookie or
 *   x-access-token too would be served to every request with the same Authorization value.
 */
const MODES = ['function', 'gateway'];
const MAX_TTL = 3600; // API Gateway's limit for authorizer result caching.

function settings() {
  const mode = process.env.AUTHORIZER_CACHE || 'function';
  if (!MODES.includes(mode)) throw new Error(`AUTHORIZER_CACHE must be one of ${MODES.join(', ')}, not "${mode}"`);
  const ttlText = process.env.AUTHORIZER_CACHE_TTL || '30';
  const ttl = Number(ttlText);
  if (!/^\d+$/.test(ttlText) || ttl > MAX_TTL) {
    throw new Error(`AUTHORIZER_CACHE_TTL must be a whole number of seconds from 0 to ${MAX_TTL}, not "${ttlText}"`);
  }
  return { mode, ttl };
}

module.exports = {
  /** The mode and TTL, validated (also read by deploy/config/api-flavour.cjs). */
  settings,
  /** The `authorizer` of every protected http event. */
  gatewayAuthorizer: () => {
    const { mode, ttl } = settings();
    if (mode === 'gateway' && ttl > 0) {
      return { name: 'authorizer', type: 'request', resultTtlInSeconds: ttl, identitySource: 'method.request.header.Authorization' };
    }
    return { name: 'authorizer', type: 'request', resultTtlInSeconds: 0 };
  },
  /**
   * AUTHORIZER_CACHE as the functions see it: `gateway` only when API Gateway really caches (a TTL above
   * 0). The authorizer then decides from the identity source alone (lib/access/authenticate.ts).
   */
  functionCacheMode: () => {
    const { mode, ttl } = settings();
    return mode === 'gateway' && ttl > 0 ? 'gateway' : 'function';
  },
  /** AUTHORIZER_CACHE_TTL as the functions see it: 0 when API Gateway does the caching. */
  functionCacheTtl: () => {
    const { mode, ttl } = settings();
    return String(mode === 'gateway' ? 0 : ttl);
  },
};
