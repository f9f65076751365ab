import { signIn } from '../../lib/account/sign-in';
import { config } from '../../lib/shared/config';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { runtimeSessionDeps } from '../../lib/account/deps';
import { signInSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/signin */
export const handler = httpHandler(async (request) => {
  const input = validate(signInSchema, jsonBody(request));
  const deps = await runtimeSessionDeps(request.deadline);
  const result = await signIn(deps, input, { userAgent: request.userAgent, ip: request.sourceIp });
  return {
    json: {
      id: result.user.id,
      username: result.user.username,
      email: result.user.email,
      roles: result.authorities,
      accessToken: result.accessToken,
      refreshToken: result.refreshToken,
      tokenType: 'Bearer',
      expiresIn: deps.config.accessTokenTtlSeconds,
    },
  };
});
