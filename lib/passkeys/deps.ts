import { runtimeAccountDeps, runtimeSessionDeps, type RequestContext } from '../account/deps';
import { config } from '../shared/config';
import type { PasskeyDeps, PasskeySignInDeps } from './types';

/**
 * Per-request wiring for the passkey handlers: the account's, with the relying party from the config.
 * Domain code never imports this file (lib/passkeys/types.ts says what it gets instead).
 */
export function runtimePasskeyDeps(request: RequestContext): PasskeyDeps {
  return { ...runtimeAccountDeps(request), config: config() };
}

/** The same with the signing key: a passkey sign-in opens a session. */
export async function runtimePasskeySignInDeps(request: RequestContext): Promise<PasskeySignInDeps> {
  return { ...(await runtimeSessionDeps(request)), config: config() };
}
