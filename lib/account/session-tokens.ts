import { type AuthMethods, type CredentialSource, generateOpaqueToken, hashOpaqueToken, issueAccessToken } from '../access/tokens';
import { epochSeconds } from '../shared/clock';
import type { Role } from '../shared/roles';
import { isIssuedId } from '../shared/validation';
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
  via: CredentialSource,
): Promise<string> {
  return issueAccessToken(deps.keys, session, {
    issuer: deps.config.issuer,
    audience: deps.config.audience,
    now: deps.now(),
    ttlSeconds: via === 'cookie' ? deps.config.refreshTokenTtlSeconds : deps.config.accessTokenTtlSeconds,
    via,
  });
}

/**
 * A new refresh token of a session, and what is stored of it (its hash, on the session item). The token
 * names its session and its place in the session's chain, `<userId>.<sessionId>.<generation>.<secret>`,
 * so a refresh addresses the session item directly: one conditional write, no lookup item per token.
 * Only the secret part is unguessable; the whole token is hashed, so naming the session gives nothing away
 * that the access token (`sid`) and the sign-in body (`id`) do not already show its holder.
 */
export function newRefreshRecord(
  deps: SessionDeps,
  userId: string,
  sessionId: string,
  generation = 0,
): { token: string; record: { tokenHash: string; generation: number; createdAt: string; expiresAt: number } } {
  const now = deps.now();
  const token = `${userId}.${sessionId}.${generation}.${generateOpaqueToken()}`;
  return {
    token,
    record: { tokenHash: hashOpaqueToken(token), generation, createdAt: now.toISOString(), expiresAt: epochSeconds(now) + deps.config.refreshTokenTtlSeconds },
  };
}

/** What a refresh token names (see newRefreshRecord), or undefined for anything else (a token from before, or junk). */
export interface PresentedRefreshToken {
  userId: string;
  sessionId: string;
  generation: number;
  tokenHash: string;
}

export function parseRefreshToken(token: string): PresentedRefreshToken | undefined {
  const parts = token.split('.');
  if (parts.length !== 4) return undefined;
  const [userId, sessionId, generation, secret] = parts as [string, string, string, string];
  if (!isIssuedId(userId) || !isIssuedId(sessionId) || !/^(0|[1-9]\d{0,8})$/.test(generation) || secret.length === 0) return undefined;
  return { userId, sessionId, generation: Number(generation), tokenHash: hashOpaqueToken(token) };
}
