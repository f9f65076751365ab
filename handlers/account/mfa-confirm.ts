import { runtimeMfaDeps } from '../../lib/account/deps';
import { confirmTotp } from '../../lib/account/mfa';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { mfaConfirmSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/mfa/totp/confirm `{code}`: MFA on; the recovery codes, shown this once. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const { code } = validate(mfaConfirmSchema, jsonBody(request));
  return { json: await confirmTotp(await runtimeMfaDeps(request), caller, code) };
});
