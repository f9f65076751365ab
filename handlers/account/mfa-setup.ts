import { runtimeMfaDeps } from '../../lib/account/deps';
import { setupTotp } from '../../lib/account/mfa';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { passwordConfirmSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/mfa/totp/setup `{password}`: a new authenticator secret, pending until confirmed. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const { password } = validate(passwordConfirmSchema, jsonBody(request));
  return { json: await setupTotp(await runtimeMfaDeps(request), caller, password, request.sourceIp) };
});
