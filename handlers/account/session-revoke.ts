import { revokeOwnSession } from '../../lib/account/account';
import { config } from '../../lib/shared/config';
import { httpHandler, requireAuth } from '../../lib/http/handler';
import { runtimeAccountDeps } from '../../lib/account/deps';

config();

/** DELETE /api/auth/sessions/{id}: that session's refresh tokens die, and its access tokens soon after. */
export const handler = httpHandler(async (request) => {
  await revokeOwnSession(runtimeAccountDeps(request.deadline), requireAuth(request), request.pathParameters.id ?? '');
  return { json: { message: 'Session was revoked!' } };
});
