import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';

// Typed Lambda events for calling handlers in-process. Here, not in tests/, because bench/run.ts uses them
// too and the bench takes nothing from the test tree.

/** A typed API Gateway proxy event with only what a test cares about set. */
export function apiEvent(options: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | null;
  authorizer?: Record<string, string> | null;
  sourceIp?: string;
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
      identity: { sourceIp: options.sourceIp ?? '127.0.0.1' },
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

/**
 * A typed HTTP API event (payload 2.0), shaped as AWS documents it: lower-case headers without `cookie`
 * (the cookies are an array), the route as `routeKey`, the authorizer's context under `lambda`.
 */
export function httpApiEvent(options: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string | null;
  authorizer?: Record<string, string> | null;
}): APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda: Record<string, string> } } } {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/';
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: options.headers ?? {},
    ...(options.cookies ? { cookies: options.cookies } : {}),
    ...(options.body !== undefined && options.body !== null ? { body: options.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: options.headers?.['user-agent'] ?? '' },
      requestId: 'id',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '02/Dec/2026:10:00:00 +0000',
      timeEpoch: 1_796_205_600_000,
      ...(options.authorizer ? { authorizer: { lambda: options.authorizer } } : {}),
    },
  };
}

/** A typed HTTP API REQUEST authorizer event (payload 2.0); without cookies AWS sends no `cookies` at all, whatever the type says. */
export function httpApiAuthorizerEvent(headers: Record<string, string>, cookies?: string[]): APIGatewayRequestAuthorizerEventV2 {
  return <APIGatewayRequestAuthorizerEventV2>{
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/api/test/user',
    identitySource: [],
    routeKey: 'GET /api/test/user',
    rawPath: '/api/test/user',
    rawQueryString: '',
    headers,
    ...(cookies ? { cookies } : {}),
    requestContext: {} as APIGatewayRequestAuthorizerEventV2['requestContext'],
  };
}
