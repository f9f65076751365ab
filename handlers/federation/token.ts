import { signInAnswer } from '../../lib/account/sign-in';
import { runtimeFederatedSignInDeps } from '../../lib/federation/deps';
import { signInWithCode } from '../../lib/federation/exchange';
import { sessionCookieHeaders } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { oauthTokenSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/oauth/token `{code}`: the sign-in body and cookie, or the MFA step. */
export const handler = httpHandler(async (request) => {
  const { code } = validate(oauthTokenSchema, jsonBody(request));
  const deps = await runtimeFederatedSignInDeps(request);
  const outcome = await signInWithCode(deps, code);
  const cookie = 'mfaRequired' in outcome ? {} : sessionCookieHeaders(request, outcome.cookieToken);
  return { json: signInAnswer(outcome, deps.config.accessTokenTtlSeconds), headers: cookie };
});
