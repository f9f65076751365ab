import { signIn } from '../lib/auth';
import { config } from '../lib/config';
import { httpHandler, jsonBody } from '../lib/http';
import { verifyAgainstDummy } from '../lib/passwords';
import { runtimeDeps } from '../lib/runtime';
import { signInSchema, validate } from '../lib/validation';

// Make the dummy hash at cold start, so the first unknown-user sign-in is not slower than the rest.
void verifyAgainstDummy('', config().bcryptCost);

/** POST /api/auth/signin */
export const handler = httpHandler(async (request) => {
  const input = validate(signInSchema, jsonBody(request));
  const deps = await runtimeDeps();
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
