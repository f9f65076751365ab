import { parse, serialize } from 'cookie';
import { sessionCookieOf, type AccessClaims } from '../access/tokens';
import { config } from '../shared/config';
import { ForbiddenError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import type { HttpRequest } from './request';

/**
 * Cookie sessions for browser clients (contract, "Cookie sessions"): the cookie that sign-in sets, the
 * one sign-out clears, and the CSRF rule for requests the cookie authenticates. Its name is config's
 * `authCookieName` (`__Host-jwt_session` on deployed stages, `jwt_session` on the local one).
 */

/** Plain-http loopback (npm start): a Secure cookie would not be sent back by every client there. */
function isPlainHttpLocalhost(request: HttpRequest): boolean {
  const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const proto = request.headers['x-forwarded-proto']?.toLowerCase();
  return ['localhost', '127.0.0.1', '[::1]'].includes(host) && proto !== 'https';
}

function cookie(request: HttpRequest, value: string, maxAgeSeconds: number): string {
  const { authCookieSameSite, authCookieName } = config();
  // Path=/ and no Domain always; a `__Host-` cookie is Secure whatever the request looks like, or
  // browsers would drop it.
  return serialize(authCookieName, value, {
    httpOnly: true,
    path: '/',
    maxAge: maxAgeSeconds,
    sameSite: authCookieSameSite.toLowerCase() as 'lax' | 'strict' | 'none',
    secure: authCookieName.startsWith('__Host-') || !isPlainHttpLocalhost(request),
  });
}

/** `Set-Cookie` for a signed-in session (AUTH_COOKIE on): HttpOnly, the session's lifetime. */
export function sessionCookieHeaders(request: HttpRequest, cookieToken: string | undefined): Record<string, string> {
  if (cookieToken === undefined) return {};
  return { 'Set-Cookie': cookie(request, cookieToken, config().refreshTokenTtlSeconds) };
}

/** `Set-Cookie` that removes the session cookie (sign-out). */
export function clearedCookieHeaders(request: HttpRequest): Record<string, string> {
  return config().authCookie ? { 'Set-Cookie': cookie(request, '', 0) } : {};
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF: a browser sends the cookie with requests any site makes, so a state-changing request that only
 * the cookie authenticates must come from an allowed origin (its `Origin` header, which scripts cannot
 * forge): a CORS origin, or the service's own (the hosted pages, lib/web/site.ts). Token-header
 * requests are unaffected: no other site can make a browser send our token.
 * Throws ForbiddenError `Origin not allowed.`
 */
export function assertCookieOrigin(request: HttpRequest, caller: Pick<AccessClaims, 'via'>): void {
  if (caller.via !== 'cookie' || SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin === undefined || !(config().corsOrigins.includes(origin) || origin === ownOrigin(request))) throw new ForbiddenError(MESSAGES.originNotAllowed);
}

/**
 * The origin the browser addressed this request to: its `Host` (which a page cannot set) with the scheme
 * API Gateway reports (`X-Forwarded-Proto`; plain http only on loopback). A page of another site sends
 * its own origin, never this one.
 */
function ownOrigin(request: HttpRequest): string | undefined {
  const host = request.headers.host?.toLowerCase();
  if (!host) return undefined;
  const scheme = request.headers['x-forwarded-proto']?.toLowerCase() ?? (isPlainHttpLocalhost(request) ? 'http' : 'https');
  return `${scheme}://${host}`;
}

/** Whether the request carries a session cookie of the name in force at all (before any verification). */
export function hasSessionCookie(request: HttpRequest): boolean {
  return sessionCookieOf(request.headers, config().authCookieName) !== undefined;
}

/**
 * The cookie that binds a social sign-in to the browser that started it (lib/federation/flow.ts): set by
 * the start, read by the provider's callback on our own origin. SameSite=Lax, so the provider's top-level
 * redirect back carries it; `__Host-` and Secure where the session cookie is.
 */
function bindingCookieName(): string {
  return config().authCookieName.startsWith('__Host-') ? '__Host-oauth_binding' : 'oauth_binding';
}

export function bindingCookieHeaders(request: HttpRequest, value: string, maxAgeSeconds: number): Record<string, string> {
  const name = bindingCookieName();
  return {
    'Set-Cookie': serialize(name, value, {
      httpOnly: true,
      path: '/',
      maxAge: maxAgeSeconds,
      sameSite: 'lax',
      secure: name.startsWith('__Host-') || !isPlainHttpLocalhost(request),
    }),
  };
}

/** The binding cookie's value, when the request carries one. */
export function bindingCookieOf(request: HttpRequest): string | undefined {
  const header = request.headers.cookie;
  return header === undefined ? undefined : parse(header)[bindingCookieName()];
}
