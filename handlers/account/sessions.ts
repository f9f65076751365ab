import { runtimeAccountDeps } from '../../lib/account/deps';
import { listOwnSessions } from '../../lib/account/sessions';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';

config();

/** GET /api/auth/sessions: the caller's live sessions. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => ({
  json: { sessions: await listOwnSessions(runtimeAccountDeps(request), caller) },
}));
