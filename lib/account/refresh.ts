import { hashOpaqueToken, PASSWORD_ONLY } from '../access/tokens';
import { epochSeconds } from '../shared/clock';
import { RefreshTokenError } from '../shared/errors';
import { getRefreshToken, rotateRefreshToken, type RefreshTokenRecord } from '../store/refresh-tokens';
import { isSessionLive } from '../store/live-session';
import { getSessionWithUser, revokeSession, touchSession } from '../store/sessions';
import { newRefreshRecord, sessionTokenFor, type TokenPair } from './session-tokens';
import { recordEvent } from './events';
import type { AccountDeps, SessionDeps } from './types';

/** A presented refresh token and its stored record. Throws RefreshTokenError `missing` or `unknown`. */
export async function findRefreshToken(deps: AccountDeps, refreshToken: string | undefined): Promise<{ token: string; stored: RefreshTokenRecord }> {
  if (!refreshToken) throw new RefreshTokenError('missing');
  const stored = await getRefreshToken(deps.table, hashOpaqueToken(refreshToken));
  if (!stored) throw new RefreshTokenError('unknown');
  return { token: refreshToken, stored };
}

/**
 * Exchanges a refresh token for a new access token and (with rotation on) a new refresh token.
 * Roles come from the stored user, so a role change applies at the next refresh. Presenting a token
 * that was already exchanged, including losing a race to exchange it, revokes the whole session: the
 * token may have been stolen, and only the session's end stops both holders.
 */
export async function refreshSession(deps: SessionDeps, refreshToken: string | undefined): Promise<TokenPair> {
  const { token, stored } = await findRefreshToken(deps, refreshToken);
  const now = deps.now();
  if (stored.expiresAt <= epochSeconds(now)) throw new RefreshTokenError('expired');

  if (stored.rotatedAt) {
    await Promise.all([revokeSession(deps.table, stored.userId, stored.sessionId, now.toISOString()), recordEvent(deps, stored.userId, 'refresh.reuse')]);
    throw new RefreshTokenError('reused');
  }
  const { session, user } = await getSessionWithUser(deps.table, stored.userId, stored.sessionId);
  // Revoked, or opened before the user's password or roles last changed: the session is over.
  if (!isSessionLive(session, user, epochSeconds(now)) || !user) throw new RefreshTokenError('unknown');
  const claims = { userId: user.id, roles: user.roles, sessionId: session.sessionId, amr: session.amr ?? PASSWORD_ONLY };

  if (!deps.config.refreshRotation) {
    if (!(await touchSession(deps.table, user.id, session.sessionId, now.toISOString()))) {
      throw new RefreshTokenError('unknown');
    }
    return { accessToken: await sessionTokenFor(deps, claims, 'header'), refreshToken: token };
  }

  const next = newRefreshRecord(deps, user.id, session.sessionId);
  const outcome = await rotateRefreshToken(deps.table, stored, next.record, now.toISOString());
  if (outcome === 'token-already-used') {
    await Promise.all([revokeSession(deps.table, stored.userId, stored.sessionId, now.toISOString()), recordEvent(deps, stored.userId, 'refresh.reuse')]);
    throw new RefreshTokenError('reused');
  }
  if (outcome === 'session-revoked') throw new RefreshTokenError('unknown');
  return { accessToken: await sessionTokenFor(deps, claims, 'header'), refreshToken: next.token };
}
