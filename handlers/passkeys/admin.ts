import { runtimeAccountDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { removeUserPasskey, userPasskeys } from '../../lib/passkeys/manage';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';

config();

/** An admin's view of a user's passkeys: GET /api/admin/users/{id}/passkeys, DELETE /api/admin/users/{id}/passkeys/{pid}. */
export const handler = httpHandler({ requires: 'admin' }, async (request, caller) => {
  const deps = runtimeAccountDeps(request);
  const userId = request.pathParameters.id ?? '';
  if (request.method === 'GET') return { json: await userPasskeys(deps, userId) };
  await removeUserPasskey(deps, userId, request.pathParameters.pid ?? '', caller.userId);
  return { json: { message: MESSAGES.passkeyRemoved } };
});
