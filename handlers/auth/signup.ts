import { signUp } from '../../lib/account/sign-up';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { callerOf } from '../../lib/http/caller';
import { hasSessionCookie } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody, type HttpRequest } from '../../lib/http/request';
import { isPrivileged, parseRoles } from '../../lib/shared/roles';
import { runtimeMailingDeps } from '../../lib/account/mailing-deps';
import { signUpSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/signup: public, but only an admin's token may grant roles beyond `user`. */
export const handler = httpHandler(async (request) => {
  const input = validate(signUpSchema, jsonBody(request));
  // The token is looked at only when it matters, so a stale token a client always sends cannot break sign-up.
  const actor = isPrivileged(parseRoles(input.roles)) ? await actorFrom(request) : undefined;
  await signUp(runtimeMailingDeps(request), input, actor);
  return { json: { message: MESSAGES.registered } };
});

/** An admin granting roles: by token header or session cookie (then from an allowed origin only). */
async function actorFrom(request: HttpRequest) {
  if (!request.headers['x-access-token'] && !request.headers.authorization && !hasSessionCookie(request)) return undefined;
  return callerOf(request);
}
