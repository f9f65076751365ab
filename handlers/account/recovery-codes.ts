import { runtimeAccountDeps } from '../../lib/account/deps';
import { recoveryCodesLeft } from '../../lib/account/mfa';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';

config();

/** GET /api/auth/mfa/recovery-codes: how many of the caller's recovery codes are left (`{remaining}`). */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => ({
  json: await recoveryCodesLeft(runtimeAccountDeps(request), caller),
}));
