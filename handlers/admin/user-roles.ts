import { setUserRoles } from '../../lib/account/account';
import { config } from '../../lib/shared/config';
import { httpHandler, jsonBody, requireAuth } from '../../lib/http/handler';
import { requireRole } from '../../lib/shared/roles';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { setRolesSchema, validate } from '../../lib/shared/validation';

config();

/** PUT /api/admin/users/{id}/roles `{roles}` */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  const { roles } = validate(setRolesSchema, jsonBody(request));
  return { json: await setUserRoles(runtimeAccountDeps(request.deadline), request.pathParameters.id ?? '', roles) };
});
