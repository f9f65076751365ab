import { runtimeAccountDeps, runtimeSessionDeps, type RequestContext } from '../account/deps';
import { config } from '../shared/config';
import { providerDirectory } from './providers';
import type { FederatedSignInDeps, FederationDeps, ProviderDirectory } from './types';

/**
 * Per-request wiring for the social sign-in handlers: the account's, the providers (one directory per
 * container, so discovery documents and provider keys are fetched once), each lookup within the request's
 * deadline. Domain code never imports this file (lib/federation/types.ts says what it gets instead).
 */
let directory: ProviderDirectory | undefined;

export function runtimeFederationDeps(request: RequestContext): FederationDeps {
  directory ??= providerDirectory(config().oidcProviders, config().oidcClientSecrets);
  const shared = directory;
  return {
    ...runtimeAccountDeps(request),
    config: config(),
    providers: { configuration: (providerId) => request.deadline.race(shared.configuration(providerId)) },
  };
}

/** The one-time code's exchange: the account's and the signing key (it opens a session). */
export async function runtimeFederatedSignInDeps(request: RequestContext): Promise<FederatedSignInDeps> {
  return { ...(await runtimeSessionDeps(request)), config: config() };
}
