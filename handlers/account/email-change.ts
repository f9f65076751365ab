import { requestEmailChange } from '../../lib/account/email-change';
import { runtimeMailingDeps } from '../../lib/account/mailing-deps';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { emailChangeSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/email/change: 202; a link to the new address, a notice to the old; nothing changes yet. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  await requestEmailChange(runtimeMailingDeps(request), caller, validate(emailChangeSchema, jsonBody(request)), request.sourceIp);
  return { status: 202, json: { message: MESSAGES.emailChangeRequested } };
});
