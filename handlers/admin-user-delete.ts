import { deleteUser } from '../lib/account';
import { config } from '../lib/config';
import { httpHandler, requireAuth } from '../lib/http';
import { requireRole } from '../lib/roles';
import { runtimeAccountDeps } from '../lib/runtime';

config();

/** DELETE /api/admin/users/{id} */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  await deleteUser(runtimeAccountDeps(request.deadline), request.pathParameters.id ?? '');
  return { json: { message: 'User was deleted successfully!' } };
});
