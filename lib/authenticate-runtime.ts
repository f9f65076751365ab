import { DecisionCache, type AuthenticateDeps } from './authorize';
import { config } from './config';
import { signingKeys } from './keys';
import { createSessionChecker, type SessionChecker } from './store/live-session';

/**
 * Per-cold-start wiring of token authentication for the authorizer and for the few public routes that
 * look at a token themselves (sign-up with roles, sign-out of all sessions). Kept apart from
 * lib/runtime.ts so the authorizer bundle does not pull in the DynamoDB SDK client.
 */
let checker: SessionChecker | undefined;
let cache: DecisionCache | undefined;

export async function authenticateDeps(options: { cached: boolean }): Promise<AuthenticateDeps> {
  const { issuer, audience, authorizerCacheTtlSeconds } = config();
  checker ??= createSessionChecker(config());
  cache ??= new DecisionCache(authorizerCacheTtlSeconds * 1000);
  return {
    keys: await signingKeys(),
    settings: { issuer, audience },
    isSessionLive: checker,
    ...(options.cached ? { cache } : {}),
  };
}
