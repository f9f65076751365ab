import { runtimeFederationDeps } from '../../lib/federation/deps';
import { startAuthorization } from '../../lib/federation/flow';
import { STATE_TTL_SECONDS } from '../../lib/federation/types';
import { bindingCookieHeaders } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { authorizeQuerySchema, validate } from '../../lib/shared/validation';

config();

/**
 * GET /api/auth/oauth/{provider}/authorize?redirect_uri&login_hint?: 302 to the provider, with the cookie
 * that binds the sign-in to this browser. (`&link=` is the ticket of a link a signed-in user asked for.)
 */
export const handler = httpHandler(async (request) => {
  const query = validate(authorizeQuerySchema, request.query);
  const start = await startAuthorization(runtimeFederationDeps(request), {
    providerId: request.pathParameters.provider ?? '',
    redirectUri: query.redirect_uri,
    loginHint: query.login_hint,
    linkTicket: query.link,
  });
  return { status: 302, text: '', headers: { Location: start.location, ...bindingCookieHeaders(request, start.binding, STATE_TTL_SECONDS) } };
});
