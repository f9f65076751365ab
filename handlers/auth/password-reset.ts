import { resetPassword } from '../../lib/account/email-links';
import { runtimeMailingDeps } from '../../lib/account/mailing-deps';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { passwordResetSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/password/reset: spends the emailed token; every session ends; no sign-in. */
export const handler = httpHandler(async (request) => {
  await resetPassword(runtimeMailingDeps(request), validate(passwordResetSchema, jsonBody(request)));
  return { json: { message: MESSAGES.passwordReset } };
});
