import { changePassword } from '../../lib/account/account';
import { config } from '../../lib/shared/config';
import { httpHandler, jsonBody, requireAuth } from '../../lib/http/handler';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { passwordChangeSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/password: every session of the user ends, this one included. */
export const handler = httpHandler(async (request) => {
  const actor = requireAuth(request);
  await changePassword(runtimeAccountDeps(request.deadline), actor, validate(passwordChangeSchema, jsonBody(request)), request.sourceIp);
  return { json: { message: 'Password was changed successfully! Please sign in again.' } };
});
