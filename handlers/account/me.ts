import { config } from '../../lib/shared/config';
import { UnauthorizedError } from '../../lib/shared/errors';
import { httpHandler, requireAuth } from '../../lib/http/handler';
import { toAuthorities } from '../../lib/shared/roles';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { getUser } from '../../lib/store/users';

config();

/** GET /api/auth/me: the signed-in user's profile, read fresh from the table. */
export const handler = httpHandler(async (request) => {
  const auth = requireAuth(request);
  const user = await getUser(runtimeAccountDeps(request.deadline).table, auth.userId);
  if (!user) throw new UnauthorizedError();
  return { json: { id: user.id, username: user.username, email: user.email, roles: toAuthorities(user.roles) } };
});
