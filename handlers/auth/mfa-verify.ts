import { runtimeSecondFactorDeps } from '../../lib/account/deps';
import { verifySecondFactor } from '../../lib/account/mfa';
import { signInAnswer } from '../../lib/account/sign-in';
import { sessionCookieHeaders } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { BadRequestError } from '../../lib/shared/errors';
import { mfaVerifySchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/mfa/verify `{mfaToken, code}` or `{mfaToken, recoveryCode}`: the sign-in answer and cookie. */
export const handler = httpHandler(async (request) => {
  const input = validate(mfaVerifySchema, jsonBody(request));
  if ((input.code === undefined) === (input.recoveryCode === undefined)) throw new BadRequestError('send either code or recoveryCode');
  const deps = await runtimeSecondFactorDeps(request);
  const signedIn = await verifySecondFactor(deps, input);
  return { json: signInAnswer(signedIn, deps.config.accessTokenTtlSeconds), headers: sessionCookieHeaders(request, signedIn.cookieToken) };
});
