import { runtimeAccountDeps } from '../../lib/account/deps';
import { signOut, signOutEverywhere, signOutSession } from '../../lib/account/sessions';
import { callerOf, cookieSessionOf } from '../../lib/http/caller';
import { clearedCookieHeaders, hasSessionCookie } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody, type HttpRequest } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { AccessTokenError } from '../../lib/shared/errors';
import { MESSAGES } from '../../lib/shared/messages';
import { signOutSchema, validate } from '../../lib/shared/validation';

config();

/**
 * POST /api/auth/signout: `{refreshToken}` ends that session; `{all:true}` with an access token (or the
 * cookie) ends every session of its user; `{}` with the session cookie ends the cookie's session.
 * Every sign-out clears the cookie. Public route: credentials, when needed, are checked here.
 */
export const handler = httpHandler(async (request) => {
  const body = validate(signOutSchema, jsonBody(request));
  const deps = runtimeAccountDeps(request);
  if (body.all === true) {
    await signOutEverywhere(deps, await callerOf(request));
  } else if (body.refreshToken === undefined && hasSessionCookie(request)) {
    const caller = await cookieCaller(request);
    if (caller) await signOutSession(deps, caller);
  } else {
    await signOut(deps, body.refreshToken);
  }
  return { json: { message: MESSAGES.signedOut }, headers: clearedCookieHeaders(request) };
});

/** The cookie's session, or none when its token is no longer valid: clearing is all that is left. */
async function cookieCaller(request: HttpRequest) {
  try {
    return await cookieSessionOf(request);
  } catch (error) {
    if (error instanceof AccessTokenError) return undefined;
    throw error;
  }
}
