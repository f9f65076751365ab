import { runtimeFederationDeps } from '../../lib/federation/deps';
import { finishCallback } from '../../lib/federation/flow';
import { bindingCookieHeaders, bindingCookieOf } from '../../lib/http/cookies';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';

config();

/**
 * GET /api/auth/oauth/{provider}/callback: the provider's redirect back. 302 to the front-end page with
 * `#code=…` (or `#error=…&message=…`); the binding cookie is spent with the state.
 */
export const handler = httpHandler(async (request) => {
  const outcome = await finishCallback(runtimeFederationDeps(request), request.pathParameters.provider ?? '', request.query, bindingCookieOf(request));
  return { status: 302, text: '', headers: { Location: outcome.location, ...bindingCookieHeaders(request, '', 0) } };
});
