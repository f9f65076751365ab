import { listUsersPage } from '../../lib/account/account';
import { config } from '../../lib/shared/config';
import { httpHandler, requireAuth } from '../../lib/http/handler';
import { requireRole } from '../../lib/shared/roles';
import { runtimeDeps } from '../../lib/account/deps';
import { userListQuerySchema, validate } from '../../lib/shared/validation';

config();

/** GET /api/admin/users?limit&cursor */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  return { json: await listUsersPage(await runtimeDeps(request.deadline), validate(userListQuerySchema, request.query)) };
});
