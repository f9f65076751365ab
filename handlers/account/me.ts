import { runtimeAccountDeps } from '../../lib/account/deps';
import { getProfile } from '../../lib/account/profile';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';

config();

/** GET /api/auth/me: the signed-in user's profile, read fresh from the table. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => ({
  json: await getProfile(runtimeAccountDeps(request), caller.userId),
}));
