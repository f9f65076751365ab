import type { AccessClaims } from '../access/tokens';
import { epochSeconds } from '../shared/clock';
import { NotFoundError } from '../shared/errors';
import { isIssuedId } from '../shared/validation';
import { isSessionLive } from '../store/live-session';
import { getSessionWithUser, listSessionItems, revokeAllSessions, revokeSession } from '../store/sessions';
import { getUser, type User } from '../store/users';
import { findRefreshToken } from './refresh';
import { recordEvent } from './events';
import type { AccountDeps } from './types';
import { MESSAGES } from '../shared/messages';

const nowIso = (deps: AccountDeps) => deps.now().toISOString();

/** Ends the session (token family) a refresh token belongs to. Throws RefreshTokenError. */
export async function signOut(deps: AccountDeps, refreshToken: string | undefined): Promise<void> {
  const found = await findRefreshToken(deps, refreshToken);
  // Also for an expired or already-exchanged token: whoever signs out wants that session gone.
  await Promise.all([revokeSession(deps.table, found.userId, found.sessionId, nowIso(deps)), recordEvent(deps, found.userId, 'signout')]);
}

/** Ends the caller's own session (a cookie client's sign-out: it has no refresh token to show). */
export async function signOutSession(deps: AccountDeps, actor: AccessClaims): Promise<void> {
  await Promise.all([revokeSession(deps.table, actor.userId, actor.sessionId, nowIso(deps)), recordEvent(deps, actor.userId, 'signout')]);
}

/** Ends every session of the caller. */
export async function signOutEverywhere(deps: AccountDeps, actor: AccessClaims): Promise<void> {
  await Promise.all([revokeAllSessions(deps.table, actor.userId, nowIso(deps)), recordEvent(deps, actor.userId, 'signout')]);
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/**
 * A user's live sessions, most recently used first, by the rule refresh and the authorizer apply
 * (isSessionLive): a session a password, role or MFA change ended is not listed. Never a token or a hash.
 * Undefined when there is no such user. The caller's own list (below) and an admin's (admin-users.ts).
 */
export async function liveSessionsOf(deps: AccountDeps, userId: string): Promise<Omit<SessionView, 'current'>[] | undefined> {
  const nowSeconds = epochSeconds(deps.now());
  const [sessions, user] = await Promise.all([listSessionItems(deps.table, userId), getUser(deps.table, userId)]);
  if (!user) return undefined;
  return sessions
    .filter((session) => isSessionLive(session, user, nowSeconds))
    .sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt))
    .map((session) => ({
      id: session.sessionId,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      userAgent: session.userAgent ?? null,
      ip: session.ip ?? null,
    }));
}

/** The caller's live sessions (liveSessionsOf), the one it calls from marked `current`. */
export async function listOwnSessions(deps: AccountDeps, actor: AccessClaims): Promise<SessionView[]> {
  const sessions = (await liveSessionsOf(deps, actor.userId)) ?? [];
  return sessions.map((session) => ({ ...session, current: session.id === actor.sessionId }));
}

/** Revokes one of the caller's sessions. Another user's session id is simply not found (404). */
export async function revokeOwnSession(deps: AccountDeps, actor: AccessClaims, sessionId: string): Promise<void> {
  if (!isIssuedId(sessionId) || !(await revokeSession(deps.table, actor.userId, sessionId, nowIso(deps)))) throw new NotFoundError(MESSAGES.sessionNotFound);
  await recordEvent(deps, actor.userId, 'session.revoke');
}

/**
 * After a caller's conditioned write lost to a change committed since its password check: the profile
 * as it now is, if the request may be tried once more as if it had come second, i.e. the password checked
 * is still the user's and the caller's session lives under the new credentials (an MFA switch from this
 * very session keeps it); undefined when the change ended the caller's session (answer 401).
 */
export async function stillTheCallers(deps: AccountDeps, checked: User, sessionId: string): Promise<User | undefined> {
  const now = await getSessionWithUser(deps.table, checked.id, sessionId);
  if (!now.user || now.user.passwordHash !== checked.passwordHash || !isSessionLive(now.session, now.user, epochSeconds(deps.now()))) return undefined;
  return now.user;
}
