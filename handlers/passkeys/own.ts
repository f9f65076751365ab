import { runtimeAccountDeps } from '../../lib/account/deps';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { ownPasskeys, removeUserPasskey, renameOwnPasskey } from '../../lib/passkeys/manage';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { passkeyRenameSchema, validate } from '../../lib/shared/validation';

config();

/**
 * The caller's own passkeys, one function for the three routes (one warm worker instead of three):
 * GET /api/auth/passkeys, PATCH /api/auth/passkeys/{id} `{name}`, DELETE /api/auth/passkeys/{id}.
 */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const deps = runtimeAccountDeps(request);
  const id = request.pathParameters.id ?? '';
  if (request.method === 'GET') return { json: await ownPasskeys(deps, caller.userId) };
  if (request.method === 'PATCH') return { json: await renameOwnPasskey(deps, caller.userId, id, validate(passkeyRenameSchema, jsonBody(request)).name) };
  await removeUserPasskey(deps, caller.userId, id);
  return { json: { message: MESSAGES.passkeyRemoved } };
});
