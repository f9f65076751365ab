import { revokeOwnSession } from '../lib/account';
import { config } from '../lib/config';
import { httpHandler, requireAuth } from '../lib/http';
import { runtimeAccountDeps } from '../lib/runtime';

config();

/** DELETE /api/auth/sessions/{id}: that session's refresh tokens die, and its access tokens soon after. */
export const handler = httpHandler(async (request) => {
  await revokeOwnSession(runtimeAccountDeps(request.deadline), requireAuth(request), request.pathParameters.id ?? '');
  return { json: { message: 'Session was revoked!' } };
});
