import { runtimeAccountDeps } from '../../lib/account/deps';
import { resetUserMfa } from '../../lib/account/mfa';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';

config();

/** DELETE /api/admin/users/{id}/mfa: the user's MFA is off and every session of theirs ends. */
export const handler = httpHandler({ requires: 'admin' }, async (request, caller) => {
  await resetUserMfa(runtimeAccountDeps(request), request.pathParameters.id ?? '', caller.userId);
  return { json: { message: MESSAGES.mfaReset } };
});
