import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { AuthorizeOutcome } from './authenticate';

/**
 * `arn:aws:execute-api:region:account:api/stage/*`: the whole API. A policy for `methodArn` alone would
 * be cached and then refuse the same token on the next route; roles are checked per route instead.
 */
function wholeApi(methodArn: string | undefined): string {
  // methodArn: arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{method}/{path} (absent only in
  // the local warm-up's empty event, which is denied anyway).
  const [apiArn, stage] = (methodArn ?? '').split('/') as [string, string?];
  return `${apiArn}/${stage ?? '*'}/*`;
}

function policy(effect: 'Allow' | 'Deny', methodArn: string | undefined) {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: wholeApi(methodArn) }],
  };
}

/** The policy and context API Gateway expects for a decision. */
export function authorizerResult(outcome: AuthorizeOutcome, methodArn: string | undefined): APIGatewayAuthorizerResult {
  if (!outcome.allow) {
    return { principalId: 'anonymous', policyDocument: policy('Deny', methodArn), context: { message: outcome.message } };
  }
  const { userId, roles, sessionId, via } = outcome.claims;
  return {
    principalId: userId,
    policyDocument: policy('Allow', methodArn),
    // `via`: the routes apply the CSRF rule to cookie-authenticated requests (lib/http/handler.ts).
    context: { userId, sessionId, roles: JSON.stringify(roles), via: via ?? 'header' },
  };
}
