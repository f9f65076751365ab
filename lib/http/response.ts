import type { APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { config } from '../shared/config';
import { HttpError } from '../shared/errors';
import { describeError, logger, rootCause } from '../shared/log';
import { MESSAGES } from '../shared/messages';
import type { HttpRequest } from './request';

export type HttpResponse =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status?: number; text: string; headers?: Record<string, string> };

/**
 * Echoes the request's origin only when it is configured; any other origin gets no CORS header at all,
 * locally and on AWS alike (serverless-offline's own reflection of every origin is removed by
 * deploy/offline/authorizer-emulation.cjs). `Vary: Origin` either way, so no cache mixes the two answers.
 */
function corsHeaders(request: HttpRequest | undefined): Record<string, string> {
  const origin = request?.headers.origin;
  const allowed = origin !== undefined && config().corsOrigins.includes(origin);
  // Credentials: browser clients on cookie sessions send `withCredentials` and read the answer.
  return allowed ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : { Vary: 'Origin' };
}

// Responses of an auth service must never be cached by a browser or proxy: they carry tokens.
const SECURITY_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/** The Lambda proxy result: JSON or text, security headers, CORS for an allowed origin. */
export function render(response: HttpResponse, request: HttpRequest | undefined): APIGatewayProxyResult {
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

/**
 * The same answer in payload 2.0's shape (HTTP API): a `Set-Cookie` goes in `cookies`, the one place the
 * HTTP API reads cookies to set from; everything else is as rendered.
 */
export function asPayloadV2(result: APIGatewayProxyResult): APIGatewayProxyStructuredResultV2 {
  const { 'set-cookie': setCookie, ...headers } = (result.headers ?? {}) as Record<string, string>;
  return { statusCode: result.statusCode, headers, body: result.body, ...(setCookie !== undefined ? { cookies: [setCookie] } : {}) };
}

/** Maps any thrown value to a response: HttpErrors below 500 say their message; the rest say nothing. */
export function errorResponse(error: unknown): HttpResponse {
  if (error instanceof HttpError && error.status < 500) {
    return { status: error.status, json: { ...error.extraBody, message: error.message }, headers: error.headers };
  }
  // The cause goes to the log (name and message only: SDK errors can echo request values).
  const cause = rootCause(error);
  logger.error('request failed', { error: describeError(error), ...(cause !== error ? { cause: describeError(cause) } : {}) });
  if (error instanceof HttpError) {
    return { status: error.status, json: { message: error.message }, headers: error.headers };
  }
  return { status: 500, json: { message: MESSAGES.internal } };
}
