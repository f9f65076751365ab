import { requestMail } from '../../lib/account/email-links';
import { runtimeMailingDeps } from '../../lib/account/mailing-deps';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { emailRequestSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/password/forgot: 202 and the same body whether or not the address is known. */
export const handler = httpHandler(async (request) => {
  const { email } = validate(emailRequestSchema, jsonBody(request));
  await requestMail(runtimeMailingDeps(request), { kind: 'reset-password', email });
  return { status: 202, json: { message: MESSAGES.resetRequested } };
});
