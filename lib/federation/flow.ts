import { timingSafeEqual } from 'node:crypto';
import { authorizationCodeGrant, buildAuthorizationUrl, calculatePKCECodeChallenge, randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import { recordEvent } from '../account/events';
import { admitFederationStep } from '../account/lockout';
import { epochSeconds } from '../shared/clock';
import type { OidcProvider } from '../shared/config';
import { BadRequestError, NotFoundError } from '../shared/errors';
import { logger } from '../shared/log';
import { MESSAGES } from '../shared/messages';
import {
  linkIdentity,
  type OAuthPurpose,
  type OAuthState,
  saveOAuthState,
  saveSignInCode,
  sha256,
  spendLinkTicket,
  spendOAuthState,
} from '../store/identities';
import { isSessionLive } from '../store/live-session';
import { getSessionWithUser } from '../store/sessions';
import { accountForIdentity, type FederatedClaims, isEmailVerified } from './accounts';
import { type FederationConfig, type FederationDeps, SIGN_IN_CODE_TTL_SECONDS, STATE_TTL_SECONDS } from './types';

/** Where a provider sends the browser back: this service's callback for that provider. */
export function callbackUrl(config: Pick<FederationConfig, 'serviceUrl'>, providerId: string): string {
  return `${config.serviceUrl}/api/auth/oauth/${providerId}/callback`;
}

/**
 * The provider a sign-in or a link may start with, and the page it may return to: 404 for a provider that
 * is not configured, 400 for a page not on the allow-list (exact match: no open redirect).
 */
export function allowedStart(config: Pick<FederationConfig, 'oidcProviders' | 'oauthRedirectUrls'>, providerId: string, redirectUri: string): OidcProvider {
  const provider = config.oidcProviders.find((candidate) => candidate.id === providerId);
  if (!provider) throw new NotFoundError(MESSAGES.providerNotFound);
  if (!config.oauthRedirectUrls.includes(redirectUri)) throw new BadRequestError(MESSAGES.redirectUriNotAllowed);
  return provider;
}

/** A start of a social sign-in: where to send the browser, and the binding cookie's value to set. */
export interface AuthorizationStart {
  location: string;
  binding: string;
}

/**
 * Starts a social sign-in (or, with a link ticket, a link to the signed-in user who asked for it): a state, a nonce and a
 * PKCE verifier, stored for 10 minutes under the state, and bound to this browser by a random value whose
 * hash the state keeps and whose cookie the browser gets. `redirectUri` must be on the allow-list exactly
 * (no open redirect: the one-time code goes there). 404 for a provider that is not configured, 400 for a
 * page that is not allowed; counted per source IP.
 */
export async function startAuthorization(
  deps: FederationDeps,
  input: { providerId: string; redirectUri: string; loginHint?: string | undefined; linkTicket?: string | undefined },
): Promise<AuthorizationStart> {
  const provider = allowedStart(deps.config, input.providerId, input.redirectUri);
  await admitFederationStep(deps, deps.client.ip);
  let purpose: OAuthPurpose = { kind: 'signin' };
  if (input.linkTicket !== undefined) {
    // A link asked for by a signed-in user (identities.ts startLink), for this provider and this page.
    const ticket = await spendLinkTicket(deps.table, input.linkTicket, provider.id, epochSeconds(deps.now()));
    if (!ticket || ticket.redirectUri !== input.redirectUri) throw new BadRequestError(MESSAGES.oauthStateInvalid);
    purpose = { kind: 'link', userId: ticket.userId, sessionId: ticket.sessionId, credVersion: ticket.credVersion };
  }
  const configuration = await deps.providers.configuration(provider.id);
  if (!configuration) throw new NotFoundError(MESSAGES.providerNotFound);
  const state = randomState();
  const nonce = randomNonce();
  const codeVerifier = randomPKCECodeVerifier();
  const binding = randomState();
  await saveOAuthState(deps.table, state, {
    provider: provider.id,
    codeVerifier,
    nonce,
    redirectUri: input.redirectUri,
    bindingHash: sha256(binding),
    purpose,
    expiresAt: epochSeconds(deps.now()) + STATE_TTL_SECONDS,
  });
  const url = buildAuthorizationUrl(configuration, {
    redirect_uri: callbackUrl(deps.config, provider.id),
    scope: provider.scopes.join(' '),
    state,
    nonce,
    code_challenge: await calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...(input.loginHint ? { login_hint: input.loginHint } : {}),
  });
  return { location: url.href, binding };
}

/** Where the callback sends the browser: the front-end page, with `#code=…` or `#error=…&message=…`. */
export interface CallbackOutcome {
  location: string;
}

type ErrorCode = keyof typeof MESSAGES.federation;

/**
 * The provider's redirect back. The state is spent first (single use; 400 when it is unknown, used or
 * expired: without it there is no trusted page to return to). Then, every failure returns to the page
 * with an error code: a browser that is not the one that started (binding cookie), the provider's own
 * error, and any failed check of openid-client's (code exchange with the PKCE verifier, ID token signature,
 * issuer, audience, expiry, nonce). A sign-in hands the page a one-time code (60 s; never a token in a
 * URL); a link links the identity to the user who started it, under the credentials it was started with.
 */
export async function finishCallback(
  deps: FederationDeps,
  providerId: string,
  query: Record<string, string | undefined>,
  bindingCookie: string | undefined,
): Promise<CallbackOutcome> {
  await admitFederationStep(deps, deps.client.ip);
  const state = query.state;
  if (!state || state.length > 256) throw new BadRequestError(MESSAGES.oauthStateInvalid);
  const now = deps.now();
  const spent = await spendOAuthState(deps.table, state, providerId, epochSeconds(now));
  if (!spent) throw new BadRequestError(MESSAGES.oauthStateInvalid);
  const back = (fields: Record<string, string>) => ({ location: `${spent.redirectUri}#${new URLSearchParams(fields)}` });
  const fail = (error: ErrorCode) => back({ error, message: MESSAGES.federation[error] });
  if (!sameBrowser(bindingCookie, spent.bindingHash)) return fail('signin_failed');
  if (query.error !== undefined) return fail(query.error === 'access_denied' ? 'access_denied' : 'signin_failed');
  const claims = await verifiedClaims(deps, providerId, query, state, spent);
  if (!claims) return fail('signin_failed');

  if (spent.purpose.kind === 'link') {
    // Bound to the session that asked: signed out or revoked since, it links nothing.
    const { session, user } = await getSessionWithUser(deps.table, spent.purpose.userId, spent.purpose.sessionId);
    if (!session || !user || !isSessionLive(session, user, epochSeconds(now))) return fail('signin_failed');
    const outcome = await linkIdentity(
      deps.table,
      { userId: spent.purpose.userId, provider: providerId, subject: claims.subject, email: claims.email ?? null, linkedAt: now.toISOString() },
      spent.purpose.credVersion,
    );
    if (outcome === 'taken') return fail('identity_in_use');
    if (outcome !== 'done') return fail('signin_failed');
    await recordEvent(deps, spent.purpose.userId, 'identity.link');
    return back({ linked: providerId });
  }

  const account = await accountForIdentity(deps, claims);
  if (account.kind === 'refused') return fail(account.reason);
  if (account.created) await recordEvent(deps, account.user.id, 'identity.link');
  const code = randomState();
  await saveSignInCode(deps.table, code, {
    userId: account.user.id,
    credVersion: account.user.credVersion,
    provider: providerId,
    expiresAt: epochSeconds(now) + SIGN_IN_CODE_TTL_SECONDS,
  });
  return back({ code });
}

function sameBrowser(bindingCookie: string | undefined, bindingHash: string): boolean {
  if (!bindingCookie) return false;
  const expected = Buffer.from(bindingHash);
  const got = Buffer.from(sha256(bindingCookie));
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/**
 * The code exchanged at the provider's token endpoint and its ID token checked, all by openid-client:
 * PKCE verifier, state, nonce, signature (the provider's JWKS), issuer, audience, expiry. Undefined for
 * any failure (logged by name only: the provider's messages can echo request values).
 */
async function verifiedClaims(
  deps: FederationDeps,
  providerId: string,
  query: Record<string, string | undefined>,
  state: string,
  spent: OAuthState,
): Promise<FederatedClaims | undefined> {
  const configuration = await deps.providers.configuration(providerId);
  if (!configuration) return undefined;
  const current = new URL(callbackUrl(deps.config, providerId));
  for (const [name, value] of Object.entries(query)) if (value !== undefined) current.searchParams.set(name, value);
  try {
    const tokens = await authorizationCodeGrant(configuration, current, {
      pkceCodeVerifier: spent.codeVerifier,
      expectedState: state,
      expectedNonce: spent.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) return undefined;
    return {
      provider: providerId,
      subject: claims.sub,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      emailVerified: isEmailVerified(claims.email_verified),
    };
  } catch (error) {
    logger.warn('federated sign-in refused', {
      provider: providerId,
      error: error instanceof Error ? `${error.name}: ${(error as { code?: string }).code ?? ''}` : 'unknown',
    });
    return undefined;
  }
}
