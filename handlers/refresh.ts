import { refreshSession } from '../lib/auth';
import { config } from '../lib/config';
import { httpHandler, jsonBody } from '../lib/http';
import { runtimeDeps } from '../lib/runtime';
import { refreshSchema, validate } from '../lib/validation';

config();

/** POST /api/auth/refreshtoken (and /refreshToken, as tutorial clients spell it both ways). */
export const handler = httpHandler(async (request) => {
  const { refreshToken } = validate(refreshSchema, jsonBody(request));
  return { json: await refreshSession(await runtimeDeps(request.deadline), refreshToken) };
});
