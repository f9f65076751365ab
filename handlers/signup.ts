import { signUp } from '../lib/auth';
import { authenticateCaller } from '../lib/authenticate-runtime';
import { config } from '../lib/config';
import { httpHandler, jsonBody, type HttpRequest } from '../lib/http';
import { isPrivileged, parseRoles } from '../lib/roles';
import { runtimeAccountDeps } from '../lib/runtime';
import { signUpSchema, validate } from '../lib/validation';

config();

/** POST /api/auth/signup: public, but only an admin's token may grant roles beyond `user`. */
export const handler = httpHandler(async (request) => {
  const input = validate(signUpSchema, jsonBody(request));
  // The token is looked at only when it matters, so a stale token a client always sends cannot break sign-up.
  const actor = isPrivileged(parseRoles(input.roles))
    ? await actorFrom(request)
    : undefined;
  await signUp(runtimeAccountDeps(request.deadline), input, actor);
  return { json: { message: 'User was registered successfully!' } };
});

async function actorFrom(request: HttpRequest) {
  if (!request.headers['x-access-token'] && !request.headers['authorization']) return undefined;
  return authenticateCaller(request.headers, request.deadline);
}
