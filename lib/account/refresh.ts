import { hashOpaqueToken, PASSWORD_ONLY } from '../access/tokens';
import { epochSeconds } from '../shared/clock';
import { RefreshTokenError } from '../shared/errors';
import { getRefreshToken, moveTokenToSession } from '../store/refresh-tokens';
import { isSessionLive } from '../store/live-session';
import { exchangeSessionToken, getSession, getSessionWithUser, revokeSession, type Session, tokenOf, touchSession } from '../store/sessions';
import { getUser, type User } from '../store/users';
import { newRefreshRecord, parseRefreshToken, type PresentedRefreshToken, sessionTokenFor, type TokenPair } from './session-tokens';
import { recordEvent } from './events';
import type { AccountDeps, SessionDeps } from './types';

/**
 * Which session a presented refresh token belongs to (its current token or one it exchanged already): a
 * token of the present shape names its session (one read of it, to check the session knows the token),
 * one from before is an item of its own. Throws RefreshTokenError `missing` or `unknown`.
 */
export async function findRefreshToken(deps: AccountDeps, refreshToken: string | undefined): Promise<{ userId: string; sessionId: string }> {
  if (!refreshToken) throw new RefreshTokenError('missing');
  const presented = parseRefreshToken(refreshToken);
  if (presented) {
    const session = await getSession(deps.table, presented.userId, presented.sessionId);
    const known = session && tokenOf(session, presented.tokenHash);
    if (!session || !known) throw new RefreshTokenError('unknown');
    return { userId: session.userId, sessionId: session.sessionId };
  }
  const stored = await getRefreshToken(deps.table, hashOpaqueToken(refreshToken));
  if (!stored) throw new RefreshTokenError('unknown');
  return { userId: stored.userId, sessionId: stored.sessionId };
}

/** Reuse: the whole session ends (whoever holds a stolen copy is cut off with its owner), recorded as `refresh.reuse`. */
async function reused(deps: AccountDeps, userId: string, sessionId: string): Promise<never> {
  await Promise.all([revokeSession(deps.table, userId, sessionId, deps.now().toISOString()), recordEvent(deps, userId, 'refresh.reuse')]);
  throw new RefreshTokenError('reused');
}

/**
 * Exchanges a refresh token for a new access token and (with rotation on) a new refresh token.
 * Roles come from the stored user, so a role change applies at the next refresh. Presenting a token
 * that was already exchanged, including losing a race to exchange it, revokes the whole session: the
 * token may have been stolen, and only the session's end stops both holders.
 *
 * A token of the present shape costs one consistent read (the user: its roles and credentials version)
 * and one conditional write on the session item (lib/store/sessions.ts exchangeSessionToken); a refused
 * one reads the session once more to tell why. A token from before takes the old path once (below).
 */
export async function refreshSession(deps: SessionDeps, refreshToken: string | undefined): Promise<TokenPair> {
  if (!refreshToken) throw new RefreshTokenError('missing');
  const presented = parseRefreshToken(refreshToken);
  if (!presented) return refreshStoredToken(deps, refreshToken);
  const now = deps.now();
  const user = await getUser(deps.table, presented.userId);
  if (!user) throw new RefreshTokenError('unknown');
  const next = deps.config.refreshRotation ? newRefreshRecord(deps, user.id, presented.sessionId, presented.generation + 1) : undefined;
  const session = await exchangeSessionToken(deps.table, presented, { credVersion: user.credVersion, now }, next?.record);
  if (!session) return refused(deps, presented);
  return {
    accessToken: await sessionTokenFor(deps, claimsOf(user, session), 'header'),
    refreshToken: next ? next.token : refreshToken,
  };
}

const claimsOf = (user: User, session: Session) => ({ userId: user.id, roles: user.roles, sessionId: session.sessionId, amr: session.amr ?? PASSWORD_ONLY });

/**
 * Why a session refused a token's exchange, read after the fact: unknown (no such session, or not a token
 * it issued); expired; exchanged already (reuse, whether a replay or a lost race: the session ends); or
 * still its current token, so the session itself ended (signed out, revoked, or opened before the user's
 * password, roles or MFA changed, including a change racing this refresh): `ended`, told only to the
 * holder of that token.
 */
async function refused(deps: SessionDeps, presented: PresentedRefreshToken): Promise<never> {
  const session = await getSession(deps.table, presented.userId, presented.sessionId);
  const known = session && tokenOf(session, presented.tokenHash);
  if (!session || !known) throw new RefreshTokenError('unknown');
  if (session.expiresAt <= epochSeconds(deps.now())) throw new RefreshTokenError('expired');
  if (known === 'previous') return reused(deps, session.userId, session.sessionId);
  throw new RefreshTokenError('ended');
}

/**
 * A token issued before tokens lived on the session item (an item of its own, lib/store/refresh-tokens.ts),
 * checked as it always was. With rotation on, its exchange moves the session to the present shape: the
 * new token is of the present shape, and this one is reuse from then on.
 */
async function refreshStoredToken(deps: SessionDeps, refreshToken: string): Promise<TokenPair> {
  const stored = await getRefreshToken(deps.table, hashOpaqueToken(refreshToken));
  if (!stored) throw new RefreshTokenError('unknown');
  const now = deps.now();
  if (stored.expiresAt <= epochSeconds(now)) throw new RefreshTokenError('expired');
  if (stored.rotatedAt) return reused(deps, stored.userId, stored.sessionId);
  const { session, user } = await getSessionWithUser(deps.table, stored.userId, stored.sessionId);
  // Gone with its account: nothing of it is in the database any more.
  if (!session || !user) throw new RefreshTokenError('unknown');
  // Revoked, or opened before the user's password or roles last changed: the session is over (the caller
  // holds the token itself: its hash found the item).
  if (!isSessionLive(session, user, epochSeconds(now))) throw new RefreshTokenError('ended');
  const claims = claimsOf(user, session);

  if (!deps.config.refreshRotation) {
    if (!(await touchSession(deps.table, user.id, session.sessionId, now.toISOString()))) throw new RefreshTokenError('ended');
    return { accessToken: await sessionTokenFor(deps, claims, 'header'), refreshToken };
  }

  const next = newRefreshRecord(deps, user.id, session.sessionId);
  const outcome = await moveTokenToSession(deps.table, stored, next.record, user.credVersion, now.toISOString());
  if (outcome === 'token-already-used') return reused(deps, stored.userId, stored.sessionId);
  if (outcome === 'session-revoked') throw new RefreshTokenError('ended');
  return { accessToken: await sessionTokenFor(deps, claims, 'header'), refreshToken: next.token };
}
