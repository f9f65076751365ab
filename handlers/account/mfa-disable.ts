import { runtimeAccountDeps } from '../../lib/account/deps';
import { disableTotp } from '../../lib/account/mfa';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { passwordConfirmSchema, validate } from '../../lib/shared/validation';

config();

/** DELETE /api/auth/mfa/totp `{password}`: MFA off; the user's other sessions end. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const { password } = validate(passwordConfirmSchema, jsonBody(request));
  await disableTotp(runtimeAccountDeps(request), caller, password, request.sourceIp);
  return { json: { message: MESSAGES.mfaDisabled } };
});
