import type { Configuration } from 'openid-client';
import type { AccountDeps, SessionDeps } from '../account/types';
import type { Config } from '../shared/config';

/** The social sign-in settings: the providers, the pages a sign-in may return to, and where the service is. */
export type FederationConfig = Pick<Config, 'oidcProviders' | 'oauthRedirectUrls' | 'serviceUrl' | 'authCookieName'>;

/** The providers' OpenID configurations (discovered, with the client's credentials), by provider id. */
export interface ProviderDirectory {
  /** Undefined for a provider id that is not configured. */
  configuration(providerId: string): Promise<Configuration | undefined>;
}

/** Starting a social sign-in or finishing its callback: the account's dependencies and the providers. */
export interface FederationDeps extends AccountDeps {
  config: AccountDeps['config'] & FederationConfig;
  providers: ProviderDirectory;
}

/** Exchanging the one-time code: the same, and the signing key of the session it opens. */
export interface FederatedSignInDeps extends SessionDeps {
  config: SessionDeps['config'] & FederationConfig;
}

/** How long a sign-in may take at the provider (the 10 minutes): the state's life and the binding cookie's. */
export const STATE_TTL_SECONDS = 600;

/** How long the front-end has to exchange the one-time code (the contract's 60 s). */
export const SIGN_IN_CODE_TTL_SECONDS = 60;
