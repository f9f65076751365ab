import { refreshSession } from '../../lib/account/auth';
import { config } from '../../lib/shared/config';
import { httpHandler, jsonBody } from '../../lib/http/handler';
import { runtimeDeps } from '../../lib/account/deps';
import { refreshSchema, validate } from '../../lib/shared/validation';

config();

/** POST /api/auth/refreshtoken (and /refreshToken, as tutorial clients spell it both ways). */
export const handler = httpHandler(async (request) => {
  const { refreshToken } = validate(refreshSchema, jsonBody(request));
  return { json: await refreshSession(await runtimeDeps(request.deadline), refreshToken) };
});
