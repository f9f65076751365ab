import { runtimeAccountDeps } from '../../lib/account/deps';
import { revokeOwnSession } from '../../lib/account/sessions';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';

config();

/** DELETE /api/auth/sessions/{id}: that session's refresh tokens die, and its access tokens soon after. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  await revokeOwnSession(runtimeAccountDeps(request), caller, request.pathParameters.id ?? '');
  return { json: { message: MESSAGES.sessionRevoked } };
});
