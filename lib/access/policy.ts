import type { APIGatewayAuthorizerResult, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import type { AuthorizeOutcome } from './authenticate';

/**
 * `arn:aws:execute-api:region:account:api/stage/*`: the whole API. A policy for `methodArn` alone would
 * be cached and then refuse the same token on the next route; roles are checked per route instead.
 */
function wholeApi(methodArn: string | undefined): string {
  // methodArn: arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{method}/{path} (absent only in
  // the local warm-up event, lib/shared/warm-up.ts, which is denied anyway).
  const [apiArn, stage] = (methodArn ?? '').split('/') as [string, string?];
  return `${apiArn}/${stage ?? '*'}/*`;
}

function policy(effect: 'Allow' | 'Deny', methodArn: string | undefined) {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: wholeApi(methodArn) }],
  };
}

/** What the routes read of an allowed caller (lib/http/request.ts), the same under both flavours. */
function callerContext(outcome: Extract<AuthorizeOutcome, { allow: true }>) {
  const { userId, roles, sessionId, via } = outcome.claims;
  // `via`: the routes apply the CSRF rule to cookie-authenticated requests (lib/http/handler.ts).
  return { userId, sessionId, roles: JSON.stringify(roles), via: via ?? 'header' };
}

/** The policy and context a REST API expects for a decision. */
export function authorizerResult(outcome: AuthorizeOutcome, methodArn: string | undefined): APIGatewayAuthorizerResult {
  if (!outcome.allow) {
    return { principalId: 'anonymous', policyDocument: policy('Deny', methodArn), context: { message: outcome.message } };
  }
  return { principalId: outcome.claims.userId, policyDocument: policy('Allow', methodArn), context: callerContext(outcome) };
}

/**
 * An HTTP API's simple response (payload 2.0). A refusal is the HTTP API's own 403 `{"message":"Forbidden"}`:
 * it has no gateway responses to carry the contract's message (the flavour table in docs/design.md, "Choosing the API flavour").
 */
export function simpleAuthorizerResult(outcome: AuthorizeOutcome): APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>> {
  return outcome.allow ? { isAuthorized: true, context: callerContext(outcome) } : { isAuthorized: false, context: { message: outcome.message } };
}
