import { deleteUser } from '../../lib/account/admin-users';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';

config();

/** DELETE /api/admin/users/{id} */
export const handler = httpHandler({ requires: 'admin' }, async (request, caller) => {
  await deleteUser(runtimeAccountDeps(request), request.pathParameters.id ?? '', caller.userId);
  return { json: { message: MESSAGES.userDeleted } };
});
