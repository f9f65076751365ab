import { type AuthMethods, type CredentialSource, generateOpaqueToken, hashOpaqueToken, issueAccessToken } from '../access/tokens';
import { epochSeconds } from '../shared/clock';
import type { Role } from '../shared/roles';
import type { RefreshTokenRecord } from '../store/refresh-tokens';
import type { SessionDeps } from './types';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** The session cookie's token (AUTH_COOKIE on): the access claims for the session's lifetime. */
  cookieToken?: string | undefined;
}

/**
 * The one place a session's tokens are minted. `header`: an access token, living ACCESS_TOKEN_TTL (its
 * client refreshes). `cookie`: the session cookie's token, living as long as the session (cookie
 * clients never refresh). Both carry how the session was authenticated.
 */
export function sessionTokenFor(
  deps: SessionDeps,
  session: { userId: string; roles: Role[]; sessionId: string; amr: AuthMethods },
  source: CredentialSource,
): Promise<string> {
  return issueAccessToken(deps.keys, session, {
    issuer: deps.config.issuer,
    audience: deps.config.audience,
    now: deps.now(),
    ttlSeconds: source === 'cookie' ? deps.config.refreshTokenTtlSeconds : deps.config.accessTokenTtlSeconds,
    via: source,
  });
}

/** A new refresh token of a session, and what is stored of it (its hash). */
export function newRefreshRecord(deps: SessionDeps, userId: string, sessionId: string): { token: string; record: RefreshTokenRecord } {
  const now = deps.now();
  const token = generateOpaqueToken();
  return {
    token,
    record: {
      tokenHash: hashOpaqueToken(token),
      userId,
      sessionId,
      createdAt: now.toISOString(),
      expiresAt: epochSeconds(now) + deps.config.refreshTokenTtlSeconds,
    },
  };
}
