import { randomState } from 'openid-client';
import type { AccessClaims } from '../access/tokens';
import { recordEvent } from '../account/events';
import { callerWithPassword } from '../account/lockout';
import type { AccountDeps } from '../account/types';
import { epochSeconds } from '../shared/clock';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { NO_PASSWORD } from '../shared/passwords';
import { isSessionLive } from '../store/live-session';
import { getSessionWithUser } from '../store/sessions';
import type { User } from '../store/users';
import { type Identity, listIdentities, saveLinkTicket, unlinkIdentity } from '../store/identities';
import { removeOwnSignInMethod } from '../account/sign-in-methods';
import { allowedStart } from './flow';
import { type FederationDeps, STATE_TTL_SECONDS } from './types';

/** An identity as its owner sees it. */
export type IdentityView = Pick<Identity, 'provider' | 'subject' | 'email' | 'linkedAt'>;

const viewOf = ({ provider, subject, email, linkedAt }: Identity): IdentityView => ({ provider, subject, email, linkedAt });

/** The caller's own identities, oldest first. */
export async function ownIdentities(deps: AccountDeps, userId: string): Promise<{ identities: IdentityView[] }> {
  return { identities: (await listIdentities(deps.table, userId)).map(viewOf) };
}

/** How recent a sign-in must be to stand in for the password of an account that has none (linking). */
export const FRESH_SIGN_IN_SECONDS = 300;

/**
 * Starts linking a provider to the signed-in caller, after checking the password (counted like a
 * sign-in attempt: a stolen access token alone links nothing); an account without a password (made by a
 * social sign-in) instead needs a fresh sign-in: a session opened within FRESH_SIGN_IN_SECONDS. Answers the
 * URL to send the browser to: our own authorize, with a one-time ticket (10 minutes) that binds the link
 * to this user, its session and the credentials checked. The browser's visit there binds it to that browser, as a
 * sign-in is.
 */
export async function startLink(
  deps: FederationDeps,
  caller: Pick<AccessClaims, 'userId' | 'sessionId'>,
  input: { providerId: string; password: string | undefined; redirectUri: string },
): Promise<{ url: string }> {
  allowedStart(deps.config, input.providerId, input.redirectUri);
  const user = await linkingUser(deps, caller, input.password);
  const ticket = randomState();
  await saveLinkTicket(deps.table, ticket, {
    userId: user.id,
    sessionId: caller.sessionId,
    credVersion: user.credVersion,
    provider: input.providerId,
    redirectUri: input.redirectUri,
    expiresAt: epochSeconds(deps.now()) + STATE_TTL_SECONDS,
  });
  const url = new URL(`${deps.config.serviceUrl}/api/auth/oauth/${input.providerId}/authorize`);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('link', ticket);
  return { url: url.href };
}

/** The caller, by their password, or (no password on the account, none sent) by a fresh, live session. */
async function linkingUser(deps: AccountDeps, caller: Pick<AccessClaims, 'userId' | 'sessionId'>, password: string | undefined): Promise<User> {
  if (password !== undefined) return callerWithPassword(deps, caller.userId, password, deps.client.ip);
  const { session, user } = await getSessionWithUser(deps.table, caller.userId, caller.sessionId);
  if (!user || user.passwordHash !== NO_PASSWORD) throw new BadRequestError(MESSAGES.passwordRequired);
  const now = epochSeconds(deps.now());
  const fresh = session && isSessionLive(session, user, now) && now - epochSeconds(new Date(session.createdAt)) <= FRESH_SIGN_IN_SECONDS;
  if (!fresh) throw new UnauthorizedError(MESSAGES.freshSignInRequired);
  return user;
}

/**
 * Unlinks the caller's identity of a provider. 404 when there is none; 409 when it is the account's last
 * way to sign in (no password, no passkey, no other identity). The count and the removal are kept
 * together by the sign-in methods version (signInMethodsUnchanged): a removal racing this one makes one of
 * them count again. Recorded as `identity.unlink`.
 */
export async function unlinkOwnIdentity(deps: AccountDeps, userId: string, providerId: string): Promise<void> {
  await removeOwnSignInMethod(
    deps,
    userId,
    (methods) => methods.identities.find((identity) => identity.provider === providerId),
    async (identity, guard) => ((await unlinkIdentity(deps.table, identity, guard)) ? 'done' : 'raced'),
    { notFound: new NotFoundError(MESSAGES.identityNotFound), noUser: new UnauthorizedError() },
  );
  await recordEvent(deps, userId, 'identity.unlink');
}
