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
 * cookie) ends every session of its user; `{}` with the session cookie ends the cookie's session; `{}` without
 * one ends nothing and says so (200). Every sign-out clears the cookie. Public route: credentials, when needed, are checked here.
 */
export const handler = httpHandler(async (request) => {
  const body = validate(signOutSchema, jsonBody(request));
  const deps = runtimeAccountDeps(request);
  if (body.all === true) {
    await signOutEverywhere(deps, await callerOf(request));
  } else if (body.refreshToken === undefined && hasSessionCookie(request)) {
    const caller = await cookieCaller(request);
    if (caller) await signOutSession(deps, caller);
  } else if (body.refreshToken === undefined) {
    // Nothing names a session: the caller is signed out already as far as this request shows (the
    // tutorial's sign-out always answered 200), but it is told that nothing was ended.
    return { json: { message: MESSAGES.nothingToSignOut }, headers: clearedCookieHeaders(request) };
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
