import { deleteOwnAccount } from '../../lib/account/delete-account';
import { runtimeMailingDeps } from '../../lib/account/mailing-deps';
import { clearedCookieHeaders } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { passwordConfirmSchema, validate } from '../../lib/shared/validation';

config();

/**
 * DELETE /api/auth/me `{password}`: the caller's account, sessions and claims are gone; a notice mail.
 * The session cookie, if any, is cleared as by a sign-out.
 */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const { password } = validate(passwordConfirmSchema, jsonBody(request));
  await deleteOwnAccount(runtimeMailingDeps(request), caller, password, request.sourceIp);
  return { json: { message: MESSAGES.accountDeleted }, headers: clearedCookieHeaders(request) };
});
