import { runtimeMailingDeps } from '../../lib/account/mailing-deps';
import { changePassword } from '../../lib/account/password';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { passwordChangeSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/password: every session of the user ends, this one included. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  await changePassword(runtimeMailingDeps(request), caller, validate(passwordChangeSchema, jsonBody(request)), request.sourceIp);
  return { json: { message: MESSAGES.passwordChanged } };
});
