import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { authorizerResult, simpleAuthorizerResult } from '../../lib/access/policy';
import { gatewayHeaders, isPayloadV2 } from '../../lib/http/request';
import { authenticateDeps } from '../../lib/access/deps';
import { authorize, type AuthorizeOutcome } from '../../lib/access/authenticate';
import { config } from '../../lib/shared/config';
import { Deadline } from '../../lib/shared/deadline';
import { publicKeys } from '../../lib/access/keys';
import { describeError, logger, logOutcome, startInvocation } from '../../lib/shared/log';
import { isWarmUp, logWarmUp } from '../../lib/shared/warm-up';

config();
// Import the keys during cold start, not in the first request.
void publicKeys().catch(() => undefined);

/**
 * REQUEST authorizer: accepts `x-access-token` or `Authorization: Bearer`, and checks that the token's
 * session is still live (one read per cache miss; see AUTHORIZER_CACHE_TTL). A refused token gets a Deny
 * carrying the message; the ACCESS_DENIED gateway response turns it into the contract's 401 body. Behind an
 * HTTP API (payload 2.0) the same decision is a simple response.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent, context?: Context): Promise<APIGatewayAuthorizerResult>;
export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
  context?: Context,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>>;
export async function handler(
  event: APIGatewayRequestAuthorizerEvent | APIGatewayRequestAuthorizerEventV2,
  context?: Context,
): Promise<APIGatewayAuthorizerResult | APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> {
  startInvocation(context);
  // Loaded only (scripts/local-stack.ts): denied, as anything that is not a request with a valid token, but no refusal.
  if (isWarmUp(event)) {
    logWarmUp();
    return authorizerResult({ allow: false, message: 'warm-up' }, undefined);
  }
  const v2 = isPayloadV2(event);
  const headers = v2 ? gatewayHeaders(event.headers, event.cookies) : gatewayHeaders(event.headers);
  const route = v2 ? event.routeKey : `${event.httpMethod} ${event.resource}`;
  let outcome: AuthorizeOutcome;
  const deadline = Deadline.forRequest(context?.getRemainingTimeInMillis());
  try {
    outcome = await authorize(await authenticateDeps({ cached: true, deadline }), headers, new Date());
  } catch (error) {
    // A table that cannot be asked: API Gateway answers 503 (AUTHORIZER_FAILURE), never Allow.
    logger.error('authorizer failed', { route, error: describeError(error) });
    throw error;
  } finally {
    deadline.dispose();
  }
  // Every refusal, with its reason; an allowed request only when sampled (nearly every call is one).
  if (outcome.allow) logOutcome('authorize', 'ok', { route, userId: outcome.claims.userId });
  else logOutcome('authorize', 'refused', { route, reason: outcome.message });
  return v2 ? simpleAuthorizerResult(outcome) : authorizerResult(outcome, event.methodArn);
}
