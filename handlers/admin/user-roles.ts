import { setUserRoles } from '../../lib/account/admin-users';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { setRolesSchema, validate } from '../../lib/shared/validation';

config();

/** PUT /api/admin/users/{id}/roles `{roles}` */
export const handler = httpHandler({ requires: 'admin' }, async (request, caller) => {
  const { roles } = validate(setRolesSchema, jsonBody(request));
  return { json: await setUserRoles(runtimeAccountDeps(request), request.pathParameters.id ?? '', roles, caller.userId) };
});
