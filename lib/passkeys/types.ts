import type { AccountDeps, SessionDeps } from '../account/types';
import type { Config } from '../shared/config';

/** The relying party: the site passkeys are bound to, and the page origins a ceremony may come from. */
export type RelyingPartyConfig = Pick<Config, 'webauthnRpId' | 'webauthnRpName' | 'webauthnOrigins'>;

/** Registering and managing passkeys: the account operations' dependencies and the relying party. */
export interface PasskeyDeps extends AccountDeps {
  config: AccountDeps['config'] & RelyingPartyConfig;
}

/** A passkey sign-in: the same, and the signing key of the session it opens. */
export interface PasskeySignInDeps extends SessionDeps {
  config: SessionDeps['config'] & RelyingPartyConfig;
}

/** How long a challenge lives (the contract's 5 minutes), also the ceremony's timeout in the browser. */
export const CHALLENGE_TTL_SECONDS = 300;

/** Passkeys per account: enough for every device a person owns, and a bound on the user's partition. */
export const MAX_PASSKEYS_PER_USER = 20;
