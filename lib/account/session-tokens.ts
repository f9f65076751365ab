import { generateOpaqueToken, hashOpaqueToken, issueAccessToken, type AuthMethods } from '../access/tokens';
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

/** An access token for a session, carrying how the session was authenticated. */
export async function accessTokenFor(deps: SessionDeps, userId: string, roles: Role[], sessionId: string, amr: AuthMethods): Promise<string> {
  return issueAccessToken(
    deps.keys,
    { userId, roles, sessionId, amr },
    {
      issuer: deps.config.issuer,
      audience: deps.config.audience,
      now: deps.now(),
      ttlSeconds: deps.config.accessTokenTtlSeconds,
    },
  );
}

/** The session cookie's token, when cookies are on: valid as long as the session (cookie clients never refresh). */
export async function cookieTokenFor(deps: SessionDeps, userId: string, roles: Role[], sessionId: string, amr: AuthMethods): Promise<string | undefined> {
  if (!deps.config.authCookie) return undefined;
  return issueAccessToken(
    deps.keys,
    { userId, roles, sessionId, amr },
    {
      issuer: deps.config.issuer,
      audience: deps.config.audience,
      now: deps.now(),
      ttlSeconds: deps.config.refreshTokenTtlSeconds,
      for: 'cookie',
    },
  );
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
