import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

// Typed Lambda events for calling handlers in-process. Here, not in tests/, because bench/run.ts uses them
// too and the bench takes nothing from the test tree.

/** A typed API Gateway proxy event with only what a test cares about set. */
export function apiEvent(options: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | null;
  authorizer?: Record<string, string> | null;
}): APIGatewayProxyEvent {
  return {
    httpMethod: options.method ?? 'GET',
    path: options.path ?? '/',
    resource: options.path ?? '/',
    headers: options.headers ?? {},
    multiValueHeaders: {},
    body: options.body ?? null,
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      authorizer: options.authorizer ?? null,
      identity: { sourceIp: '127.0.0.1' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** A typed REQUEST authorizer event. */
export function authorizerEvent(
  headers: Record<string, string>,
  methodArn = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/api/test/user',
): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn,
    resource: '/api/test/user',
    path: '/api/test/user',
    httpMethod: 'GET',
    headers,
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}
