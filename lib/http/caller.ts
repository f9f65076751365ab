import { authenticateCaller, verifyCookie } from '../access/deps';
import type { VerifiedAccess } from '../access/tokens';
import { assertCookieOrigin } from './cookies';
import type { HttpRequest } from './request';

/**
 * The verified caller of a public route that looks at a credential itself (sign-up with roles,
 * sign-out), from a token header or the session cookie, with the CSRF rule applied.
 */
export async function callerOf(request: HttpRequest): Promise<VerifiedAccess> {
  const caller = await authenticateCaller(request.headers, request.deadline);
  assertCookieOrigin(request, caller);
  return caller;
}

/**
 * The session of the request's cookie, for ending it: signature, type, issuer and expiry checked, the
 * CSRF rule applied, liveness not asked (ending a dead session changes nothing). Throws AccessTokenError.
 */
export async function cookieSessionOf(request: HttpRequest): Promise<VerifiedAccess> {
  assertCookieOrigin(request, { via: 'cookie' });
  return verifyCookie(request.headers.cookie, request.deadline);
}
