import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { runtimePasskeyDeps } from '../../lib/passkeys/deps';
import { registrationOptions } from '../../lib/passkeys/registration';
import { config } from '../../lib/shared/config';
import { passwordConfirmSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/passkeys/register/options `{password}`: options for `navigator.credentials.create()`. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const { password } = validate(passwordConfirmSchema, jsonBody(request));
  return { json: await registrationOptions(runtimePasskeyDeps(request), caller, password, request.sourceIp) };
});
