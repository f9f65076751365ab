import { setUserRoles } from '../lib/account';
import { config } from '../lib/config';
import { httpHandler, jsonBody, requireAuth } from '../lib/http';
import { requireRole } from '../lib/roles';
import { runtimeAccountDeps } from '../lib/runtime';
import { setRolesSchema, validate } from '../lib/validation';

config();

/** PUT /api/admin/users/{id}/roles `{roles}` */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  const { roles } = validate(setRolesSchema, jsonBody(request));
  return { json: await setUserRoles(runtimeAccountDeps(request.deadline), request.pathParameters.id ?? '', roles) };
});
