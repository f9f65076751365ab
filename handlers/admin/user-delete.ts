import { deleteUser } from '../../lib/account/account';
import { config } from '../../lib/shared/config';
import { httpHandler, requireAuth } from '../../lib/http/handler';
import { requireRole } from '../../lib/shared/roles';
import { runtimeAccountDeps } from '../../lib/account/deps';

config();

/** DELETE /api/admin/users/{id} */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  await deleteUser(runtimeAccountDeps(request.deadline), request.pathParameters.id ?? '');
  return { json: { message: 'User was deleted successfully!' } };
});
