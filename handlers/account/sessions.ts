import { listOwnSessions } from '../../lib/account/account';
import { config } from '../../lib/shared/config';
import { httpHandler, requireAuth } from '../../lib/http/handler';
import { runtimeAccountDeps } from '../../lib/account/deps';

config();

/** GET /api/auth/sessions: the caller's live sessions. */
export const handler = httpHandler(async (request) => ({
  json: { sessions: await listOwnSessions(runtimeAccountDeps(request.deadline), requireAuth(request)) },
}));
