import { createHash, randomBytes } from 'node:crypto';
import { parse as parseCookie } from 'cookie';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { epochSeconds } from '../shared/clock';
import { AccessTokenError } from '../shared/errors';
import type { PublicKeys } from './keys';
import type { IssuingKeys } from './signing-keys';
import { isRole, type Role } from '../shared/roles';

/** RS256: the fastest jose verify on Node (see docs/design.md "Why RS256") and the one every JWT library reads. */
export const SIGNING_ALGORITHM = 'RS256';

/** What verifying needs: the public keys by `kid`. */
type Verifiers = Pick<PublicKeys, 'verifiers'>;

/** RFC 9068 access-token type: a token of another kind (an ID token, say) is refused by `typ`. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * The session cookie's token: the access claims, living as long as the session (cookie clients never
 * refresh), of its own type, so it is accepted only from the cookie and an access token only from a
 * header. Liveness is checked as for access tokens: revocation reaches it within the same bound.
 */
export const COOKIE_TOKEN_TYPE = 'session+jwt';

/** Where a request's credential came from: a token header, or the session cookie (CSRF rules apply). */
export type CredentialSource = 'header' | 'cookie';

/** Tokens longer than this are refused before any parsing: no legitimate access token comes near it. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;

export interface TokenSettings {
  issuer: string;
  audience: string;
}

export interface AccessClaims {
  userId: string;
  roles: Role[];
  /** The session (refresh-token family) the token was issued for. */
  sessionId: string;
  /** How the caller presented it, when verified from a request (absent: a token header). */
  via?: CredentialSource;
}

/** What verification yields: the claims, and when the token expires (epoch seconds). */
export interface VerifiedAccess extends AccessClaims {
  expiresAt: number;
}

/**
 * How the session was authenticated (RFC 8176 `amr`): a password alone, or a password and a second
 * factor (`otp` for an authenticator code; a recovery code is `mfa` without `otp`).
 */
export type AuthMethods =
  | ['pwd']
  | ['pwd', 'otp', 'mfa']
  | ['pwd', 'mfa']
  // A passkey (`hwk`, proof of a key): with user verification (`user`: PIN or biometrics) it is two
  // factors in one; without, a user with MFA on takes the second step after it.
  | ['hwk', 'user', 'mfa']
  | ['hwk']
  | ['hwk', 'otp', 'mfa']
  | ['hwk', 'mfa']
  // An OpenID provider's sign-in (`fed`, not an RFC 8176 value: the provider's own methods are not told
  // to us); a user with MFA on takes the second step after it.
  | ['fed']
  | ['fed', 'otp', 'mfa']
  | ['fed', 'mfa'];
export const PASSWORD_ONLY: AuthMethods = ['pwd'];

/** Signs an access token (or, `via: 'cookie'`, the session cookie's token); `id` repeats `sub` for tutorial clients. */
export async function issueAccessToken(
  keys: IssuingKeys,
  claims: AccessClaims & { amr?: AuthMethods },
  settings: TokenSettings & { now: Date; ttlSeconds: number; via?: CredentialSource },
): Promise<string> {
  const payload = { id: claims.userId, roles: claims.roles, sid: claims.sessionId, amr: claims.amr ?? PASSWORD_ONLY };
  const typ = settings.via === 'cookie' ? COOKIE_TOKEN_TYPE : ACCESS_TOKEN_TYPE;
  return signToken(keys, typ, payload, { subject: claims.userId, jti: crypto.randomUUID() }, settings);
}

/** A token of one of our kinds: signed by the current key, its `typ`, issuer, audience, lifetime. */
function signToken(
  keys: IssuingKeys,
  typ: string,
  payload: Record<string, unknown>,
  ids: { subject: string; jti: string },
  settings: TokenSettings & { now: Date; ttlSeconds: number },
): Promise<string> {
  const iat = epochSeconds(settings.now);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: keys.signer.kid, typ })
    .setSubject(ids.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + settings.ttlSeconds)
    .setJti(ids.jti)
    .sign(keys.signer.key);
}

/** jose's key lookup: the verifying key of the token's `kid`, or no match (never a key from the token). */
function verifierFor(keys: Verifiers) {
  return (header: { kid?: string }) => {
    const key = typeof header.kid === 'string' ? keys.verifiers.get(header.kid) : undefined;
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  };
}

/** jose checks none of these unless asked: the algorithm, issuer, audience, token type and claims. */
function pinned(settings: TokenSettings & { now: Date }, typ: string, requiredClaims: string[]) {
  return { algorithms: [SIGNING_ALGORITHM], issuer: settings.issuer, audience: settings.audience, typ, requiredClaims, currentDate: settings.now };
}

/**
 * Verifies an access token with everything pinned: algorithm, issuer, audience, type and required
 * claims (jose checks none of these unless asked). Throws AccessTokenError: `expired` or `invalid`.
 */
export async function verifyAccessToken(
  keys: Verifiers,
  token: string,
  settings: TokenSettings & { now: Date; via?: CredentialSource },
): Promise<VerifiedAccess> {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw new AccessTokenError('invalid');
  try {
    const { payload } = await jwtVerify(
      token,
      verifierFor(keys),
      pinned(settings, settings.via === 'cookie' ? COOKIE_TOKEN_TYPE : ACCESS_TOKEN_TYPE, ['sub', 'exp', 'iat', 'jti', 'sid', 'roles']),
    );
    const { sub, sid, roles, exp } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || !Array.isArray(roles) || typeof exp !== 'number') {
      throw new AccessTokenError('invalid');
    }
    if (!roles.every((role): role is Role => typeof role === 'string' && isRole(role))) {
      throw new AccessTokenError('invalid');
    }
    return { userId: sub, roles, sessionId: sid, expiresAt: exp, ...(settings.via === 'cookie' ? { via: 'cookie' as const } : {}) };
  } catch (error) {
    if (error instanceof AccessTokenError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new AccessTokenError('expired', { cause: error });
    throw new AccessTokenError('invalid', { cause: error });
  }
}

const BEARER = /^Bearer +([^\s]+)$/i;

/**
 * The request's credential: a token header if there is one (it wins), else the session cookie of the
 * name in force (`cookieName`: config's `authCookieName`; a cookie of any other name is not read).
 * Header names must already be lower-case. Throws AccessTokenError (`missing`, `invalid`).
 */
export function extractCredential(headers: Record<string, string | undefined>, cookieName: string): { token: string; via: CredentialSource } {
  if (headers['x-access-token']?.trim() || headers.authorization?.trim()) return { token: extractAccessToken(headers), via: 'header' };
  const fromCookie = sessionCookieOf(headers, cookieName)?.trim();
  if (fromCookie) return { token: fromCookie, via: 'cookie' };
  throw new AccessTokenError('missing');
}

/** The value of the session cookie named `cookieName` as sent (possibly empty), or undefined when the request has none. */
export function sessionCookieOf(headers: Record<string, string | undefined>, cookieName: string): string | undefined {
  return headers.cookie === undefined ? undefined : parseCookie(headers.cookie)[cookieName];
}

/**
 * Finds the access token in `x-access-token` (tutorial clients) or `Authorization: Bearer`.
 * Both present with different tokens, or a malformed Authorization header, is refused rather than guessed.
 * Header names must already be lower-case.
 */
export function extractAccessToken(headers: Record<string, string | undefined>): string {
  const fromCustom = headers['x-access-token']?.trim() || undefined;
  const authorization = headers.authorization?.trim() || undefined;
  let fromBearer: string | undefined;
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match) throw new AccessTokenError('invalid');
    fromBearer = match[1];
  }
  if (fromCustom !== undefined && fromBearer !== undefined && fromCustom !== fromBearer) {
    throw new AccessTokenError('invalid');
  }
  const token = fromCustom ?? fromBearer;
  if (token === undefined) throw new AccessTokenError('missing');
  return token;
}

/** A one-time secret (refresh token, emailed token): 256 random bits, URL-safe. Only its SHA-256 is ever stored. */
export function generateOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The stored form of a refresh token or emailed token. Lookups are by this hash as the item key, so no secret is ever
 * compared in our code (no timing side channel to protect), and a database leak yields no usable token.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The token of a sign-in waiting for its second factor: its own `typ`, so neither the authorizer nor any
 * route takes it for an access token (they pin `at+jwt`). Short-lived; single use and the count of wrong
 * codes are kept in the table under its `jti`.
 */
export const MFA_TOKEN_TYPE = 'mfa+jwt';

/** An mfaToken lives this long (the contract's number). */
export const MFA_TOKEN_TTL_SECONDS = 300;

export async function issueMfaToken(
  keys: IssuingKeys,
  claims: { userId: string; challengeId: string },
  settings: TokenSettings & { now: Date; ttlSeconds: number },
): Promise<string> {
  return signToken(keys, MFA_TOKEN_TYPE, {}, { subject: claims.userId, jti: claims.challengeId }, settings);
}

/**
 * Whether a string is shaped as an mfaToken: a compact JWS whose (unverified) header says `mfa+jwt`. Not
 * a check of the token: anyone can read a JWT's header. It tells a malformed token or one of another kind
 * (an access token sent in its place) from an mfaToken that is expired, spent or not ours.
 */
export function isMfaTokenShaped(token: string): boolean {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return false;
  try {
    return decodeProtectedHeader(token).typ === MFA_TOKEN_TYPE;
  } catch {
    return false;
  }
}

/** The user and challenge of a valid mfaToken; undefined for anything else (expired, forged, another kind). */
export async function verifyMfaToken(
  keys: Verifiers,
  token: string,
  settings: TokenSettings & { now: Date },
): Promise<{ userId: string; challengeId: string } | undefined> {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) return undefined;
  try {
    const { payload } = await jwtVerify(token, verifierFor(keys), pinned(settings, MFA_TOKEN_TYPE, ['sub', 'exp', 'jti']));
    return typeof payload.sub === 'string' && typeof payload.jti === 'string' ? { userId: payload.sub, challengeId: payload.jti } : undefined;
  } catch {
    return undefined;
  }
}
