import { listOwnSessions } from '../lib/account';
import { config } from '../lib/config';
import { httpHandler, requireAuth } from '../lib/http';
import { runtimeAccountDeps } from '../lib/runtime';

config();

/** GET /api/auth/sessions: the caller's live sessions. */
export const handler = httpHandler(async (request) => ({
  json: { sessions: await listOwnSessions(runtimeAccountDeps(request.deadline), requireAuth(request)) },
}));
