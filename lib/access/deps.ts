import { authenticate, DecisionCache, GATEWAY_IDENTITY_HEADER, verifyCredential, type AuthenticateDeps } from './authenticate';
import { config } from '../shared/config';
import type { Deadline } from '../shared/deadline';
import { keySetCache, type PublicKeys } from './keys';
import { createSessionChecker, type SessionChecker } from '../store/live-session';
import type { VerifiedAccess } from './tokens';

/**
 * Per-cold-start wiring of token authentication for the authorizer and for the few public routes that
 * look at a token themselves (sign-up with roles, sign-out of all sessions). Kept apart from
 * lib/account/deps.ts so the authorizer bundle does not pull in the DynamoDB SDK client.
 */
let checker: SessionChecker | undefined;
let cache: DecisionCache | undefined;
let lastKeys: PublicKeys | undefined;

/** True when a key of `before` is missing from `after`: a retired key, whose cached Allows must go. */
function keyRetired(before: PublicKeys | undefined, after: PublicKeys): boolean {
  return before !== undefined && before !== after && [...before.verifiers.keys()].some((kid) => !after.verifiers.has(kid));
}

export async function authenticateDeps(options: { cached: boolean; deadline: Deadline }): Promise<AuthenticateDeps> {
  const { issuer, audience, authorizerCacheTtlSeconds, authorizerCache, authCookieName } = config();
  checker ??= createSessionChecker(config());
  cache ??= new DecisionCache(authorizerCacheTtlSeconds * 1000);
  const keys = await options.deadline.race(keySetCache().get());
  if (keyRetired(lastKeys, keys)) cache.clear();
  lastKeys = keys;
  return {
    keys,
    keysWithKid: (kid) => options.deadline.race(keySetCache().withKid(kid)),
    settings: { issuer, audience },
    sessionCookie: authCookieName,
    isSessionLive: checker,
    deadline: options.deadline,
    ...(options.cached ? { cache } : {}),
    // Only the authorizer's answers are cached by API Gateway; the routes that check a token themselves
    // are not, and keep reading both headers and the cookie.
    ...(options.cached && authorizerCache === 'gateway' ? { identityHeader: GATEWAY_IDENTITY_HEADER } : {}),
  };
}

/**
 * The verified caller of a public route that looks at a token itself. Uncached: these routes act on
 * the answer (granting roles, ending sessions), so a session revoked a moment ago must not pass.
 */
export async function authenticateCaller(headers: Record<string, string | undefined>, deadline: Deadline): Promise<VerifiedAccess> {
  return authenticate(await authenticateDeps({ cached: false, deadline }), headers, new Date());
}

/** The signed-in session cookie's claims, verified but not checked for liveness (cookie sign-out). */
export async function verifyCookie(cookieHeader: string | undefined, deadline: Deadline): Promise<VerifiedAccess> {
  return verifyCredential(await authenticateDeps({ cached: false, deadline }), { cookie: cookieHeader }, new Date());
}
