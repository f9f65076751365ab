import { authenticateCaller } from '../access/deps';
import type { VerifiedAccess } from '../access/tokens';
import { assertCookieOrigin } from './cookies';
import type { HttpRequest } from './request';

/**
 * The verified caller of a public route that looks at a credential itself (sign-up with roles,
 * sign-out), from a token header or the session cookie, with the CSRF rule applied.
 */
export async function callerOf(request: HttpRequest, options: { cookieOnly?: boolean } = {}): Promise<VerifiedAccess> {
  const headers = options.cookieOnly ? { cookie: request.headers.cookie } : request.headers;
  const caller = await authenticateCaller(headers, request.deadline);
  assertCookieOrigin(request, caller);
  return caller;
}
