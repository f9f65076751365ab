import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { runtimePasskeyDeps } from '../../lib/passkeys/deps';
import { registerPasskey } from '../../lib/passkeys/registration';
import { config } from '../../lib/shared/config';
import { passkeyRegistrationSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/passkeys/register/verify `{response, name?}`: the new passkey `{id, name, createdAt}`. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const input = validate(passkeyRegistrationSchema, jsonBody(request));
  return { json: await registerPasskey(runtimePasskeyDeps(request), caller, input) };
});
