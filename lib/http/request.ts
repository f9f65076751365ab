import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { AccessClaims } from '../access/tokens';
import type { Deadline } from '../shared/deadline';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../shared/errors';
import { isRole, type Role } from '../shared/roles';

/** What a handler sees of a request: no AWS event types past this file. */
export interface HttpRequest {
  method: string;
  /** The path the route matched, without the stage (`/auth/sign-up`). */
  path: string;
  /**
   * What comes before `path` in the browser's URL: `/dev` on a REST API's stage URL, '' behind
   * serverless-offline, an HTTP API's `$default` stage or a custom domain's root mapping. Pages use it
   * to address the service they are served by (lib/web/site.ts).
   */
  basePath: string;
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  body: string | undefined;
  pathParameters: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** Set by the Lambda authorizer on protected routes (read it through the wrapper's guard). */
  auth: AccessClaims | undefined;
  sourceIp: string | undefined;
  userAgent: string | undefined;
  /** When the request stops waiting for infrastructure: pass it to every database and key read. */
  deadline: Deadline;
}

/**
 * Bodies above this are refused (413) before parsing: no request of this API comes near it. API Gateway's own
 * limit, 10 MB, is answered with the same message (REQUEST_TOO_LARGE, deploy/resources/gateway-responses.yml).
 */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * A function's event from either API Gateway flavour: the REST API's proxy event (payload 1.0) or the
 * HTTP API's (payload 2.0), whose authorizer context sits under `lambda` and whose cookies are an array.
 */
export type GatewayEvent = APIGatewayProxyEvent | (APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda?: Record<string, unknown> } } });

/** REST events carry no `version`; the HTTP API's carry "2.0" (or "1.0", shaped as REST's). Functions and the authorizer alike. */
export const isPayloadV2 = <E extends object>(event: E): event is Extract<E, { version: string }> => 'version' in event && event.version === '2.0';

/**
 * Header names lower-cased. Payload 2.0 takes the `Cookie` header out into `cookies`; it is put back
 * joined as a browser sends it, so the session cookie is read the same way from either flavour.
 */
export function gatewayHeaders(headers: Record<string, string | undefined> | null | undefined, cookies?: string[]): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = value;
  if (cookies?.length) result.cookie = cookies.join('; ');
  return result;
}

/** What the authorizer verified, passed on as request context (scalars only: roles as JSON). */
function authContext(context: Record<string, unknown> | null | undefined): AccessClaims | undefined {
  if (!context || typeof context.userId !== 'string' || typeof context.sessionId !== 'string') return undefined;
  let roles: unknown;
  try {
    roles = JSON.parse(String(context.roles));
  } catch {
    return undefined;
  }
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string' && isRole(role))) return undefined;
  return { userId: context.userId, roles: roles as Role[], sessionId: context.sessionId, ...(context.via === 'cookie' ? { via: 'cookie' as const } : {}) };
}

/** `POST /api/auth/signin`: the route as the gateway matched it, for the log. */
export const routeOf = (event: GatewayEvent): string => (isPayloadV2(event) ? event.routeKey : `${event.httpMethod} ${event.resource}`);

/** The request a handler sees: no AWS event types past lib/http. */
export function toRequest(event: GatewayEvent, deadline: Deadline): HttpRequest {
  const v2 = isPayloadV2(event);
  const headers = v2 ? gatewayHeaders(event.headers, event.cookies) : gatewayHeaders(event.headers);
  // API Gateway always passes a string (or null); serverless-offline passes a JSON body of `false` or
  // `0` as that value itself. Either way the handler sees the text that was sent.
  const raw: unknown = event.body;
  const body =
    raw === null || raw === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(String(raw), 'base64').toString('utf8')
        : typeof raw === 'string'
          ? raw
          : JSON.stringify(raw);
  const path = (v2 ? event.rawPath : event.path) ?? '/';
  return {
    method: (v2 ? event.requestContext.http.method : (event.httpMethod ?? 'GET')).toUpperCase(),
    path,
    basePath: v2 ? '' : basePathOf(event.requestContext?.path, path),
    headers,
    body,
    pathParameters: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    auth: authContext(v2 ? event.requestContext.authorizer?.lambda : (event.requestContext?.authorizer as Record<string, unknown> | null | undefined)),
    sourceIp: (v2 ? event.requestContext.http.sourceIp : event.requestContext?.identity?.sourceIp) ?? undefined,
    userAgent: headers['user-agent'],
    deadline,
  };
}

/** A REST API's `requestContext.path` is the browser's path (`/dev/auth`): the part before `path` is the stage's. */
function basePathOf(fullPath: string | undefined, path: string): string {
  if (fullPath === undefined || fullPath === path || !fullPath.endsWith(path)) return '';
  return fullPath.slice(0, fullPath.length - path.length).replace(/\/+$/, '');
}

/**
 * Parses a JSON object body. Size, content type, syntax and top-level shape are checked here once, so
 * every endpoint answers bad input the same way.
 */
export function jsonBody(request: HttpRequest): unknown {
  const contentType = request.headers['content-type'];
  if (request.body === undefined || request.body === '') {
    throw new BadRequestError('Request body is required.');
  }
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType.trim())) throw new UnsupportedMediaTypeError();
  if (Buffer.byteLength(request.body, 'utf8') > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(MAX_BODY_BYTES);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch {
    throw new BadRequestError('Request body must be valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('Request body must be a JSON object.');
  }
  return parsed;
}
