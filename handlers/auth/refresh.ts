import { refreshSession } from '../../lib/account/refresh';
import { config } from '../../lib/shared/config';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { runtimeSessionDeps } from '../../lib/account/deps';
import { refreshSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/refreshtoken (and /refreshToken, as tutorial clients spell it both ways). */
export const handler = httpHandler(async (request) => {
  const { refreshToken } = validate(refreshSchema, jsonBody(request));
  return { json: await refreshSession(await runtimeSessionDeps(request), refreshToken) };
});
