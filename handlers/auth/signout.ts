import { signOut, signOutEverywhere } from '../../lib/account/sessions';
import { authenticateCaller } from '../../lib/access/deps';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { runtimeAccountDeps } from '../../lib/account/deps';
import { signOutSchema, validate } from '../../lib/shared/validation';

config();

/**
 * POST /api/auth/signout: `{refreshToken}` ends that session; `{all:true}` with an access token ends
 * every session of its user. Public route: the access token, when needed, is checked here.
 */
export const handler = httpHandler(async (request) => {
  const body = validate(signOutSchema, jsonBody(request));
  if (body.all === true) {
    const actor = await authenticateCaller(request.headers, request.deadline);
    await signOutEverywhere(runtimeAccountDeps(request), actor);
  } else {
    await signOut(runtimeAccountDeps(request), body.refreshToken);
  }
  return { json: { message: MESSAGES.signedOut } };
});
