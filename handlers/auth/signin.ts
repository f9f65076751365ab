import { runtimeSessionDeps } from '../../lib/account/deps';
import { signIn, signInAnswer } from '../../lib/account/sign-in';
import { sessionCookieHeaders } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { signInSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/signin: tokens and the session cookie, or with MFA on `{mfaRequired, mfaToken, methods}` and neither. */
export const handler = httpHandler(async (request) => {
  const input = validate(signInSchema, jsonBody(request));
  const deps = await runtimeSessionDeps(request);
  const outcome = await signIn(deps, input);
  const cookie = 'mfaRequired' in outcome ? {} : sessionCookieHeaders(request, outcome.cookieToken);
  return { json: signInAnswer(outcome, deps.config.accessTokenTtlSeconds), headers: cookie };
});
