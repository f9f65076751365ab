import { listUsersPage } from '../../lib/account/admin-users';
import { runtimePagingDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { userListQuerySchema, validate } from '../../lib/shared/validation';

config();

/** GET /api/admin/users?limit&cursor&search: newest first; with search, by username or email prefix. */
export const handler = httpHandler({ requires: 'admin' }, async (request) => ({
  json: await listUsersPage(await runtimePagingDeps(request), validate(userListQuerySchema, request.query)),
}));
