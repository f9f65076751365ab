import { changePassword } from '../lib/account';
import { config } from '../lib/config';
import { httpHandler, jsonBody, requireAuth } from '../lib/http';
import { runtimeAccountDeps } from '../lib/runtime';
import { passwordChangeSchema, validate } from '../lib/validation';

config();

/** POST /api/auth/password: every session of the user ends, this one included. */
export const handler = httpHandler(async (request) => {
  const actor = requireAuth(request);
  await changePassword(runtimeAccountDeps(request.deadline), actor, validate(passwordChangeSchema, jsonBody(request)), request.sourceIp);
  return { json: { message: 'Password was changed successfully! Please sign in again.' } };
});
