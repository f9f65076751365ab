import { runtimeAccountDeps } from '../../lib/account/deps';
import { regenerateRecoveryCodes } from '../../lib/account/mfa';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { passwordConfirmSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/mfa/recovery-codes `{password}`: ten new recovery codes, shown this once; the old ones die. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const { password } = validate(passwordConfirmSchema, jsonBody(request));
  return { json: await regenerateRecoveryCodes(runtimeAccountDeps(request), caller, password, request.sourceIp) };
});
