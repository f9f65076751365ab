import { verifyEmail } from '../../lib/account/email-links';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { emailVerifySchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/email/verify: spends the emailed token. */
export const handler = httpHandler(async (request) => {
  await verifyEmail(runtimeAccountDeps(request), validate(emailVerifySchema, jsonBody(request)));
  return { json: { message: MESSAGES.emailVerified } };
});
