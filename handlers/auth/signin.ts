import { runtimeSessionDeps } from '../../lib/account/deps';
import { signIn, signInAnswer } from '../../lib/account/sign-in';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { signInSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/signin: tokens, or with MFA on `{mfaRequired, mfaToken, methods}` and no tokens. */
export const handler = httpHandler(async (request) => {
  const input = validate(signInSchema, jsonBody(request));
  const deps = await runtimeSessionDeps(request);
  const outcome = await signIn(deps, input);
  return { json: signInAnswer(outcome, deps.config.accessTokenTtlSeconds) };
});
