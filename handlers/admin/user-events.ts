import { userEventsPage } from '../../lib/account/admin-users';
import { runtimePagingDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { pageQuerySchema, validate } from '../../lib/shared/validation';

config();

/** GET /api/admin/users/{id}/events?limit&cursor: a user's security events (admin). */
export const handler = httpHandler({ requires: 'admin' }, async (request) => ({
  json: await userEventsPage(await runtimePagingDeps(request), request.pathParameters.id ?? '', validate(pageQuerySchema, request.query)),
}));
