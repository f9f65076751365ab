import { allowInsecureRequests, ClientSecretPost, type Configuration, discovery } from 'openid-client';
import { readSecret } from '../access/key-source';
import { ServiceUnavailableError } from '../shared/errors';
import { describeError, logger } from '../shared/log';
import type { KeySource, OidcProvider } from '../shared/config';
import type { ProviderDirectory } from './types';

/**
 * The configured providers over openid-client: each one's discovery document (and with it the JWKS
 * openid-client caches) is fetched at its first use in a container and kept; a failed discovery is not
 * kept, so the next request tries again. The client secrets are one JSON object by provider id, read
 * from their source (SSM on deployed stages) once.
 */
export function providerDirectory(providers: OidcProvider[], secrets: KeySource | undefined): ProviderDirectory {
  const configurations = new Map<string, Promise<Configuration>>();
  let secretsRead: Promise<Record<string, unknown>> | undefined;
  const secretOf = async (id: string) => {
    secretsRead ??= secrets ? readSecret(secrets).then(parseSecrets) : Promise.resolve({});
    const secret = (await secretsRead)[id];
    if (typeof secret !== 'string' || secret === '') throw new Error(`no client secret for the OpenID provider "${id}" (OIDC_CLIENT_SECRETS)`);
    return secret;
  };
  return {
    configuration(providerId) {
      const provider = providers.find((candidate) => candidate.id === providerId);
      if (!provider) return Promise.resolve(undefined);
      let found = configurations.get(provider.id);
      if (!found) {
        found = discover(provider, secretOf);
        configurations.set(provider.id, found);
        found.catch(() => configurations.delete(provider.id));
      }
      return found;
    },
  };
}

/**
 * The provider's discovery document, checked by openid-client (its `issuer` must be the configured one).
 * A provider that cannot be reached or answers something else is a 503 for the request (the cause is
 * logged by name only), never a sign-in.
 */
async function discover(provider: OidcProvider, secretOf: (id: string) => Promise<string>): Promise<Configuration> {
  const url = new URL(provider.issuer);
  // Config allows plain http for loopback issuers only (the local provider `dev`).
  const insecure = url.protocol === 'http:';
  try {
    return await discovery(url, provider.clientId, undefined, ClientSecretPost(await secretOf(provider.id)), {
      ...(insecure ? { execute: [allowInsecureRequests] } : {}),
      timeout: 5,
    });
  } catch (error) {
    logger.error('OpenID provider discovery failed', { provider: provider.id, error: describeError(error) });
    throw new ServiceUnavailableError({ cause: error });
  }
}

function parseSecrets(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('OIDC_CLIENT_SECRETS is not a JSON object by provider id');
  return parsed as Record<string, unknown>;
}
