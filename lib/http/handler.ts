import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { config } from '../shared/config';
import { Deadline } from '../shared/deadline';
import { BadRequestError, HttpError, UnauthorizedError, UnsupportedMediaTypeError } from '../shared/errors';
import { logger } from '../shared/log';
import { isRole, type Role } from '../shared/roles';

/** What a handler sees of a request: no AWS event types past this file. */
export interface HttpRequest {
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  body: string | undefined;
  pathParameters: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** Set by the Lambda authorizer on protected routes. */
  auth: AuthContext | undefined;
  sourceIp: string | undefined;
  userAgent: string | undefined;
  /** When the request stops waiting for infrastructure: pass it to every database and key read. */
  deadline: Deadline;
}

/** What the authorizer verified, passed on as request context (scalars only: roles as JSON). */
export interface AuthContext {
  userId: string;
  roles: Role[];
  sessionId: string;
}

export type HttpResponse =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status?: number; text: string; headers?: Record<string, string> };

/** Bodies above this are refused before parsing: no request of this API comes near it. */
export const MAX_BODY_BYTES = 16 * 1024;

function lowerCaseHeaders(headers: Record<string, string | undefined> | null): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = value;
  return result;
}

function authContext(event: APIGatewayProxyEvent): AuthContext | undefined {
  const context = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  if (!context || typeof context.userId !== 'string' || typeof context.sessionId !== 'string') return undefined;
  let roles: unknown;
  try {
    roles = JSON.parse(String(context.roles));
  } catch {
    return undefined;
  }
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string' && isRole(role))) return undefined;
  return { userId: context.userId, roles: roles as Role[], sessionId: context.sessionId };
}

function toRequest(event: APIGatewayProxyEvent, deadline: Deadline): HttpRequest {
  const headers = lowerCaseHeaders(event.headers);
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
  return {
    headers,
    body,
    pathParameters: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    auth: authContext(event),
    sourceIp: event.requestContext?.identity?.sourceIp ?? undefined,
    userAgent: headers['user-agent'],
    deadline,
  };
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
    throw new BadRequestError(`Request body is too large (at most ${MAX_BODY_BYTES} bytes).`);
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

/**
 * Echoes the request's origin only when it is configured; any other origin gets no CORS header at all,
 * locally and on AWS alike (serverless-offline's own reflection of every origin is removed by
 * deploy/offline/authorizer-emulation.cjs). `Vary: Origin` either way, so no cache mixes the two answers.
 */
function corsHeaders(request: HttpRequest | undefined): Record<string, string> {
  const origin = request?.headers['origin'];
  const allowed = origin !== undefined && config().corsOrigins.includes(origin);
  return allowed ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Vary: 'Origin' };
}

// Responses of an auth service must never be cached by a browser or proxy: they carry tokens.
const SECURITY_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function render(response: HttpResponse, request: HttpRequest | undefined): APIGatewayProxyResult {
  const isJson = 'json' in response;
  const headers: Record<string, string> = {};
  // Lower-case names, so a header set twice in different cases cannot reach the client twice.
  for (const [name, value] of Object.entries({
    'Content-Type': isJson ? 'application/json' : 'text/plain; charset=utf-8',
    ...SECURITY_HEADERS,
    ...corsHeaders(request),
    ...response.headers,
  })) {
    headers[name.toLowerCase()] = value;
  }
  return { statusCode: response.status ?? 200, headers, body: isJson ? JSON.stringify(response.json) : response.text };
}

/** Maps any thrown value to a response: HttpErrors below 500 say their message; the rest say nothing. */
export function errorResponse(error: unknown): HttpResponse {
  if (error instanceof HttpError && error.status < 500) {
    return { status: error.status, json: { ...error.extraBody, message: error.message }, headers: error.headers };
  }
  // The cause goes to the log (name and message only: SDK errors can echo request values).
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  logger.error('request failed', {
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    ...(cause ? { cause: `${cause.name}: ${cause.message}` } : {}),
  });
  if (error instanceof HttpError) {
    return { status: error.status, json: { message: error.message }, headers: error.headers };
  }
  return { status: 500, json: { message: 'Internal server error.' } };
}

/**
 * The one wrapper every HTTP handler goes through: builds the request, runs the handler, renders JSON,
 * CORS and security headers, and turns errors into the contract's `{ message }` bodies.
 */
export function httpHandler(
  handle: (request: HttpRequest) => Promise<HttpResponse>,
): (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    let request: HttpRequest | undefined;
    let response: APIGatewayProxyResult;
    const deadline = Deadline.forRequest(context?.getRemainingTimeInMillis());
    try {
      request = toRequest(event, deadline);
      response = render(await handle(request), request);
    } catch (error) {
      response = render(errorResponse(error), request);
    } finally {
      deadline.dispose();
    }
    // One line per request: what happened, to whom, never with what (no body, no headers).
    logger.info('request', {
      route: `${event.httpMethod} ${event.resource}`,
      status: response.statusCode,
      outcome: response.statusCode < 400 ? 'ok' : response.statusCode < 500 ? 'refused' : 'failed',
      apiRequestId: event.requestContext?.requestId,
      ...(request?.auth ? { userId: request.auth.userId } : {}),
    });
    return response;
  };
}

/**
 * The verified identity of a protected route. Behind the authorizer it is always there; its absence
 * means the route was deployed without the authorizer, and the request is refused, not served.
 */
export function requireAuth(request: HttpRequest): AuthContext {
  if (!request.auth) throw new UnauthorizedError();
  return request.auth;
}
