import { runtimeMfaDeps } from '../../lib/account/deps';
import { setupTotp } from '../../lib/account/mfa';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';

config();

/** POST /api/auth/mfa/totp/setup: a new authenticator secret, pending until confirmed. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => ({
  json: await setupTotp(await runtimeMfaDeps(request), caller),
}));
