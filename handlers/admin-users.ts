import { listUsersPage } from '../lib/account';
import { config } from '../lib/config';
import { httpHandler, requireAuth } from '../lib/http';
import { requireRole } from '../lib/roles';
import { runtimeDeps } from '../lib/runtime';
import { userListQuerySchema, validate } from '../lib/validation';

config();

/** GET /api/admin/users?limit&cursor */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  return { json: await listUsersPage(await runtimeDeps(request.deadline), validate(userListQuerySchema, request.query)) };
});
