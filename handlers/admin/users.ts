import { listUsersPage } from '../../lib/account/admin-users';
import { runtimeSessionDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { pageQuerySchema, validate } from '../../lib/shared/validation';

config();

/** GET /api/admin/users?limit&cursor */
export const handler = httpHandler({ requires: 'admin' }, async (request) => ({
  json: await listUsersPage(await runtimeSessionDeps(request), validate(pageQuerySchema, request.query)),
}));
