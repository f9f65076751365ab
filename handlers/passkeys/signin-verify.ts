import { signInAnswer } from '../../lib/account/sign-in';
import { sessionCookieHeaders } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { runtimePasskeySignInDeps } from '../../lib/passkeys/deps';
import { signInWithPasskey } from '../../lib/passkeys/sign-in';
import { config } from '../../lib/shared/config';
import { passkeySignInSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/passkeys/signin/verify `{challengeId, response}`: the sign-in body and cookie, or the MFA step. */
export const handler = httpHandler(async (request) => {
  const input = validate(passkeySignInSchema, jsonBody(request));
  const deps = await runtimePasskeySignInDeps(request);
  const outcome = await signInWithPasskey(deps, input);
  const cookie = 'mfaRequired' in outcome ? {} : sessionCookieHeaders(request, outcome.cookieToken);
  return { json: signInAnswer(outcome, deps.config.accessTokenTtlSeconds), headers: cookie };
});
