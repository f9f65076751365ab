import { userSessions } from '../../lib/account/admin-users';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';

config();

/** GET /api/admin/users/{id}/sessions: a user's live sessions (admin). */
export const handler = httpHandler({ requires: 'admin' }, async (request) => ({
  json: await userSessions(runtimeAccountDeps(request), request.pathParameters.id ?? ''),
}));
