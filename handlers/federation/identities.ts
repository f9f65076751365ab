import { runtimeAccountDeps } from '../../lib/account/deps';
import { runtimeFederationDeps } from '../../lib/federation/deps';
import { ownIdentities, startLink, unlinkOwnIdentity } from '../../lib/federation/identities';
import { httpHandler } from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { config } from '../../lib/shared/config';
import { MESSAGES } from '../../lib/shared/messages';
import { identityLinkSchema, validate } from '../../lib/shared/validation';

config();

/**
 * The caller's own identities, one function for the three routes: GET /api/auth/identities,
 * POST /api/auth/identities/{provider}/link `{password, redirect_uri}`, DELETE /api/auth/identities/{provider}.
 */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => {
  const provider = request.pathParameters.provider ?? '';
  if (request.method === 'GET') return { json: await ownIdentities(runtimeAccountDeps(request), caller.userId) };
  if (request.method === 'POST') {
    const input = validate(identityLinkSchema, jsonBody(request));
    return {
      json: await startLink(runtimeFederationDeps(request), caller, { providerId: provider, password: input.password, redirectUri: input.redirect_uri }),
    };
  }
  await unlinkOwnIdentity(runtimeAccountDeps(request), caller.userId, provider);
  return { json: { message: MESSAGES.identityUnlinked } };
});
