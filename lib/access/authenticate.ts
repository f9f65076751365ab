import { decodeProtectedHeader, errors as joseErrors } from 'jose';
import { epochSeconds } from '../shared/clock';
import type { Deadline } from '../shared/deadline';
import { AccessTokenError } from '../shared/errors';
import type { PublicKeys } from './keys';
import type { SessionChecker } from '../store/live-session';
import { type CredentialSource, extractCredential, verifyAccessToken, type TokenSettings, type VerifiedAccess } from './tokens';

export type AuthorizeOutcome = { allow: true; claims: VerifiedAccess } | { allow: false; message: string };

/**
 * Verified tokens the authorizer trusts for a while without asking the table again. The entry lifetime
 * is the revocation bound: a revoked session's tokens are refused at most this long after revocation.
 * A decision is about a token as presented, so it is keyed by `via` and token: the cookie's day-long
 * token must not pass in a token header once it was seen as a cookie, nor an access token planted as the
 * cookie pass as header-borne (skipping the CSRF rule) once it was seen in a header.
 */
export class DecisionCache {
  readonly #entries = new Map<string, { claims: VerifiedAccess; untilMs: number }>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries = 10_000,
  ) {}

  get(via: CredentialSource, token: string, nowMs: number): VerifiedAccess | undefined {
    const key = cacheKey(via, token);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.untilMs <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.claims;
  }

  /** Forgets every decision (a key left the key set: tokens it signed must be verified again). */
  clear(): void {
    this.#entries.clear();
  }

  set(via: CredentialSource, token: string, claims: VerifiedAccess, nowMs: number): void {
    if (this.ttlMs <= 0) return;
    // Bounded memory: drop the oldest entry (Map keeps insertion order).
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(cacheKey(via, token), { claims, untilMs: Math.min(nowMs + this.ttlMs, claims.expiresAt * 1000) });
  }
}

/** `via` is a fixed word before the first space, so no token arriving one way can spell another way's key. */
const cacheKey = (via: CredentialSource, token: string) => `${via} ${token}`;

/** API Gateway's cache key with AUTHORIZER_CACHE=gateway (`identitySource` in deploy/config/authorizer.cjs). */
export const GATEWAY_IDENTITY_HEADER = 'authorization' as const;

export interface AuthenticateDeps {
  keys: PublicKeys;
  /** Where to look for a key set that knows a token's unknown `kid` (another container rotated first). */
  keysWithKid?: (kid: string) => Promise<PublicKeys | undefined>;
  settings: TokenSettings;
  /** The session cookie's name in force (config's `authCookieName`): the only cookie read. */
  sessionCookie: string;
  /** Is the token's session still live (not signed out, revoked, or its user deleted)? */
  isSessionLive: SessionChecker;
  cache?: DecisionCache;
  /**
   * Set when API Gateway caches the decisions (AUTHORIZER_CACHE=gateway): its cache key, the one header
   * the decision may rest on. Read beside it, a cookie or x-access-token would decide for a value that
   * holds no token but passes the gateway as present (one no-break space passes the local emulation),
   * and the cached Allow would then answer every request carrying that value.
   */
  identityHeader?: typeof GATEWAY_IDENTITY_HEADER;
  /** The request's deadline: the liveness read gives up by then (fail closed). */
  deadline?: Deadline;
}

/**
 * Verifies the request's access token (a token header, else the session cookie) and that its session
 * is still live. Throws AccessTokenError (`missing`, `expired`, `invalid`); a revoked session is
 * `invalid`. Infrastructure failures (the table unreachable) throw other errors: callers fail closed.
 */
export async function authenticate(deps: AuthenticateDeps, headers: Record<string, string | undefined>, now: Date): Promise<VerifiedAccess> {
  const { token, via } = extractCredential(deps.identityHeader ? { [deps.identityHeader]: headers[deps.identityHeader] } : headers, deps.sessionCookie);
  const cached = deps.cache?.get(via, token, now.getTime());
  if (cached) return cached;
  const claims = await verifyWithKeyReload(deps, token, via, now);
  if (!(await deps.isSessionLive(claims.userId, claims.sessionId, epochSeconds(now), deps.deadline))) {
    throw new AccessTokenError('invalid');
  }
  deps.cache?.set(via, token, claims, now.getTime());
  return claims;
}

/**
 * Verifies the request's credential without asking whether its session is still live: for ending that
 * very session (cookie sign-out), where a dead session only means there is nothing left to end, and the
 * read would only delay the answer a reloading browser page is racing for.
 */
export async function verifyCredential(deps: AuthenticateDeps, headers: Record<string, string | undefined>, now: Date): Promise<VerifiedAccess> {
  const { token, via } = extractCredential(headers, deps.sessionCookie);
  return verifyWithKeyReload(deps, token, via, now);
}

/** Verifies; a token signed with a key this container has not loaded yet gets one look at a fresh set. */
async function verifyWithKeyReload(deps: AuthenticateDeps, token: string, via: CredentialSource, now: Date): Promise<VerifiedAccess> {
  try {
    return await verifyAccessToken(deps.keys, token, { ...deps.settings, now, via });
  } catch (error) {
    if (!(error instanceof AccessTokenError) || !(error.cause instanceof joseErrors.JWKSNoMatchingKey) || !deps.keysWithKid) throw error;
    const { kid } = decodeProtectedHeader(token);
    const fresh = typeof kid === 'string' ? await deps.keysWithKid(kid) : undefined;
    if (!fresh) throw error;
    return verifyAccessToken(fresh, token, { ...deps.settings, now, via });
  }
}

/** The authorizer's decision: allow with the claims, or deny with the contract's message. */
export async function authorize(deps: AuthenticateDeps, headers: Record<string, string | undefined>, now: Date): Promise<AuthorizeOutcome> {
  try {
    return { allow: true, claims: await authenticate(deps, headers, now) };
  } catch (error) {
    if (error instanceof AccessTokenError) return { allow: false, message: error.message };
    throw error;
  }
}
