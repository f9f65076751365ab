import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { AccessClaims } from '../access/tokens';
import { Deadline } from '../shared/deadline';
import { ForbiddenError, UnauthorizedError } from '../shared/errors';
import { logOutcome, startInvocation } from '../shared/log';
import { isWarmUp, logWarmUp } from '../shared/warm-up';
import { MESSAGES } from '../shared/messages';
import type { Role } from '../shared/roles';
import { assertCookieOrigin } from './cookies';
import { type GatewayEvent, isPayloadV2, routeOf, toRequest, type HttpRequest } from './request';
import { asPayloadV2, errorResponse, render, type HttpResponse } from './response';

/**
 * What a protected route requires of its caller: any signed-in user, or a role above `user` (the contract's
 * user route is open to any valid token, so no route asks for `user` and it has no refusal message).
 */
export type Requirement = 'signed-in' | Exclude<Role, 'user'>;

/** A function behind either gateway flavour answers in its event's payload format. */
type LambdaHttpHandler = {
  (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult>;
  (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2>;
};

/**
 * The one wrapper every HTTP handler goes through: builds the request with its deadline, checks the
 * caller a protected route requires, runs the handler, renders JSON, CORS and security headers, and
 * turns errors into the contract's `{ message }` bodies. Public: `httpHandler(handle)`; protected:
 * `httpHandler({ requires: 'admin' }, (request, caller) => ...)`.
 */
export function httpHandler(handle: (request: HttpRequest) => Promise<HttpResponse>): LambdaHttpHandler;
export function httpHandler(guard: { requires: Requirement }, handle: (request: HttpRequest, caller: AccessClaims) => Promise<HttpResponse>): LambdaHttpHandler;
export function httpHandler(
  first: { requires: Requirement } | ((request: HttpRequest) => Promise<HttpResponse>),
  guarded?: (request: HttpRequest, caller: AccessClaims) => Promise<HttpResponse>,
): LambdaHttpHandler {
  const handle = typeof first === 'function' ? first : guardedBy(first.requires, guarded);
  return (async (event: GatewayEvent, context?: Context) => {
    startInvocation(context);
    // Loaded, and nothing else: a warm-up is no request, so it is neither answered as one nor logged as a refusal.
    if (isWarmUp(event)) {
      logWarmUp();
      return { statusCode: 204, headers: {}, body: '' };
    }
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
    // One line per request: what happened, to whom, never with what (no body, no headers). Refusals and
    // failures always; a request served only in a sampled invocation (lib/shared/log.ts).
    const status = response.statusCode;
    logOutcome('request', status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed', {
      route: routeOf(event),
      status,
      apiRequestId: event.requestContext?.requestId,
      ...(request?.auth ? { userId: request.auth.userId } : {}),
    });
    return isPayloadV2(event) ? asPayloadV2(response) : response;
  }) as LambdaHttpHandler;
}

function guardedBy(
  requirement: Requirement,
  handle: ((request: HttpRequest, caller: AccessClaims) => Promise<HttpResponse>) | undefined,
): (request: HttpRequest) => Promise<HttpResponse> {
  if (!handle) throw new Error('httpHandler: a guard needs a handler');
  return (request) => handle(request, callerMeeting(request, requirement));
}

/**
 * The verified caller of a protected route, checked against what the route requires. Behind the
 * authorizer the identity is always there; its absence means the route was deployed without the
 * authorizer, and the request is refused, not served. Roles come from the verified token, never a body.
 * A state-changing request authenticated by the session cookie must come from an allowed origin (CSRF).
 */
function callerMeeting(request: HttpRequest, requirement: Requirement): AccessClaims {
  const caller = request.auth;
  if (!caller) throw new UnauthorizedError();
  assertCookieOrigin(request, caller);
  if (requirement !== 'signed-in' && !caller.roles.includes(requirement)) throw new ForbiddenError(MESSAGES.roleRequired[requirement]);
  return caller;
}
