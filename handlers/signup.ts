import { signUp } from '../lib/auth';
import { authenticateCaller } from '../lib/authenticate-runtime';
import { config } from '../lib/config';
import { httpHandler, jsonBody } from '../lib/http';
import { isPrivileged, parseRoles } from '../lib/roles';
import { runtimeAccountDeps } from '../lib/runtime';
import { signUpSchema, validate } from '../lib/validation';

config();

/** POST /api/auth/signup: public, but only an admin's token may grant roles beyond `user`. */
export const handler = httpHandler(async (request) => {
  const input = validate(signUpSchema, jsonBody(request));
  // The token is looked at only when it matters, so a stale token a client always sends cannot break sign-up.
  const actor = isPrivileged(parseRoles(input.roles))
    ? await actorFrom(request.headers)
    : undefined;
  await signUp(runtimeAccountDeps(), input, actor);
  return { json: { message: 'User was registered successfully!' } };
});

async function actorFrom(headers: Record<string, string | undefined>) {
  if (!headers['x-access-token'] && !headers['authorization']) return undefined;
  return authenticateCaller(headers);
}
