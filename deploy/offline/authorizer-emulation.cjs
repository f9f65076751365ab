'use strict';
/**
 * serverless-offline `customAuthenticationProvider`: runs our Lambda authorizer the way API Gateway
 * does, including the parts serverless-offline leaves out, so local answers match AWS byte for byte.
 * Either flavour (deploy/config/api-flavour.cjs): serverless-offline calls this for `http` events (REST API)
 * and for `httpApi` events (HTTP API, API_GATEWAY=http) alike.
 *
 * REST API:
 * - GatewayResponses: a Deny or an error is answered with the ACCESS_DENIED / UNAUTHORIZED /
 *   AUTHORIZER_FAILURE response defined in serverless.yml resources (status, headers, body with
 *   `$context.authorizer.*` filled in), instead of serverless-offline's own Boom bodies.
 * - CORS: only configured origins get Access-Control-Allow-Origin (serverless-offline echoes any).
 * - A path or method no route has gets the MISSING_AUTHENTICATION_TOKEN response (404 "Not found."), and a body
 *   over the 10 MB limit the REQUEST_TOO_LARGE one, not serverless-offline's route list or hapi's 413 body.
 *   A response type serverless.yml does not define falls back to DEFAULT_4XX / DEFAULT_5XX, as on AWS.
 * - Result caching (`resultTtlInSeconds` > 0, AUTHORIZER_CACHE=gateway): decisions cached by identity
 *   source, and a request without one refused with UNAUTHORIZED before the authorizer runs.
 *
 * HTTP API (payload 2.0, simple responses; HTTP_API below, with AWS's pages):
 * - The authorizer gets a 2.0 REQUEST event (cookies as an array, routeKey, routeArn); only
 *   `isAuthorized: true` lets a request through. The refusals are the HTTP API's own fixed answers, which
 *   no configuration changes: 403 Forbidden, 401 Unauthorized (identity source missing), 500 Internal
 *   Server Error (authorizer failed or answered something else), 404 Not Found (no route), 413 (body too large).
 * - CORS is the API's CORS configuration (`provider.httpApi.cors`), on every answer, refusals included;
 *   the functions' own CORS headers are dropped, as the HTTP API ignores an integration's.
 * - Result caching as for REST, keyed by `$request.header.*` identity sources.
 *
 * Both: the `sls-offline-authorizer-override` header, which serverless-offline otherwise lets any client
 * use to forge the authorizer context (e.g. admin roles), is stripped from every request.
 * A request without a Content-Type reaches the functions without one, as on AWS (deploy/offline/event-fidelity.cjs).
 *
 * The authorizer itself runs inside serverless-offline, through its Lambda invoke endpoint, with the
 * same bundle and environment as every other function.
 */
const state = require('./state.cjs');
const { origins } = require('../config/cors.cjs');
const { isMarker, markMissingContentType } = require('./event-fidelity.cjs');

const OVERRIDE_HEADER = 'sls-offline-authorizer-override';
// Each type's default status (supported-gateway-response-types.html), for a definition that sets none.
const DEFAULT_STATUS = {
  ACCESS_DENIED: '403',
  UNAUTHORIZED: '401',
  AUTHORIZER_FAILURE: '500',
  MISSING_AUTHENTICATION_TOKEN: '403',
  REQUEST_TOO_LARGE: '413',
  DEFAULT_4XX: '403',
};

/**
 * What an HTTP API answers by itself. Fixed: an HTTP API has no gateway responses to change them.
 * - forbidden: a simple response with `isAuthorized: false`.
 * - unauthorized: an identity source missing or empty; the authorizer is not invoked
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html, "Identity sources").
 * - failure: the authorizer could not be invoked or answered in an invalid format (the same page,
 *   "Troubleshooting Lambda authorizers"); a thrown error included: our authorizer throws only when it cannot decide.
 * - notFound: no route matches (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html;
 *   the body as https://dev.to/aws-builders/better-error-messages-for-non-existing-api-resources-with-amazon-api-gateway-50pb shows it).
 *   A wrong method on a known path is no route either (route keys are method and path).
 * - tooLarge: a body over the 10 MB payload limit. AWS documents the limit, not the body: this one is not
 *   verified against a deployment (README, "Choosing the API flavour").
 */
const HTTP_API = {
  forbidden: { status: 403, message: 'Forbidden' },
  unauthorized: { status: 401, message: 'Unauthorized' },
  failure: { status: 500, message: 'Internal Server Error' },
  notFound: { status: 404, message: 'Not Found' },
  tooLarge: { status: 413, message: 'Request Entity Too Large' },
};

/** serverless-offline's catch-all route: no route has this path and method. */
const isRouteNotFound = (request) => request.response?.source?.error === 'Serverless-offline: route not found.';

/** hapi's refusal of a body over the route's `payload.maxBytes` (serverless-offline: 10 MB, API Gateway's limit). */
const isBodyTooLarge = (request) => request.response?.isBoom === true && request.response.output.statusCode === 413;

function httpApiAnswer(h, { status, message }) {
  return h.response(JSON.stringify({ message })).code(status).type('application/json');
}

const renderHttpApiAnswer = (h, answer) => httpApiAnswer(h, answer).takeover();

function stripOverrideHeader(request) {
  const raw = request.raw.req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (String(raw[i]).toLowerCase() === OVERRIDE_HEADER) raw.splice(i, 2);
  }
  delete request.raw.req.headers[OVERRIDE_HEADER];
  delete request.headers[OVERRIDE_HEADER];
}

let gatewayResponsesByType;

/** The GatewayResponse resources of serverless.yml by response type, read once. */
function gatewayResponses() {
  if (gatewayResponsesByType) return gatewayResponsesByType;
  const resources = state.serverless?.service?.resources;
  const all = {};
  for (const block of Array.isArray(resources) ? resources : [resources]) Object.assign(all, block?.Resources);
  const byType = {};
  for (const resource of Object.values(all)) {
    if (resource?.Type === 'AWS::ApiGateway::GatewayResponse') byType[resource.Properties.ResponseType] = resource.Properties;
  }
  gatewayResponsesByType = byType;
  return byType;
}

function renderGatewayResponse(h, type, context, errorMessage = type === 'ACCESS_DENIED' ? 'Forbidden' : 'Unauthorized') {
  // An undefined type is answered as DEFAULT_4XX / DEFAULT_5XX would, with the type's own status.
  const definition = gatewayResponses()[type] ?? gatewayResponses()[Number(DEFAULT_STATUS[type]) >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'] ?? {};
  const escapeJson = (value) => JSON.stringify(String(value ?? '')).slice(1, -1);
  const template = definition.ResponseTemplates?.['application/json'] ?? '{"message":"$context.error.messageString"}';
  const body = template
    .replace(/\$context\.authorizer\.(\w+)/g, (_, key) => escapeJson(context?.[key]))
    .replace(/\$context\.error\.messageString/g, escapeJson(errorMessage));
  const response = h
    .response(body)
    .code(Number(definition.StatusCode ?? DEFAULT_STATUS[type]))
    .type('application/json');
  const headers = {};
  for (const [name, value] of Object.entries(definition.ResponseParameters ?? {})) {
    const header = /^gatewayresponse\.header\.(.+)$/.exec(name);
    // Lower-case, so serverless-offline's own CORS reflection cannot add a second copy.
    if (header) headers[header[1].toLowerCase()] = String(value).replace(/^'(.*)'$/, '$1');
  }
  for (const [name, value] of Object.entries(headers)) response.header(name, value);
  // API Gateway sends a gateway response's headers as defined, whatever the Origin: kept for onPreResponse.
  h.request.app.gatewayResponseHeaders = headers;
  return response.takeover();
}

function lambdaPort() {
  const custom = state.serverless?.service?.custom?.['serverless-offline'] ?? {};
  return Number(state.options?.lambdaPort ?? custom.lambdaPort ?? 3002);
}

function requestEvent(request, methodArn, path) {
  const headers = {};
  const multiValueHeaders = {};
  const raw = request.raw.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (isMarker(raw[i])) continue;
    headers[raw[i]] = raw[i + 1];
    multiValueHeaders[raw[i]] = [...(multiValueHeaders[raw[i]] ?? []), raw[i + 1]];
  }
  const query = Object.keys(request.query).length ? { ...request.query } : null;
  return {
    type: 'REQUEST',
    methodArn,
    resource: path,
    path: request.path,
    httpMethod: request.method.toUpperCase(),
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    pathParameters: Object.keys(request.params).length ? { ...request.params } : null,
    stageVariables: null,
    requestContext: {
      path: request.path,
      resourcePath: path,
      httpMethod: request.method.toUpperCase(),
      stage: state.serverless?.service?.provider?.stage,
      identity: { sourceIp: request.info.remoteAddress },
    },
  };
}

function allows(policyDocument, methodArn) {
  const statements = policyDocument?.Statement ?? [];
  const matches = (resource) =>
    [].concat(resource).some((pattern) => new RegExp(`^${String(pattern).split('*').map(escapeRegExp).join('.*')}$`).test(methodArn));
  const applicable = statements.filter((s) => matches(s.Resource));
  return applicable.some((s) => s.Effect === 'Allow') && !applicable.some((s) => s.Effect === 'Deny');
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * API Gateway's authorizer result cache (`resultTtlInSeconds` > 0): one per authorizer, across routes,
 * keyed by the identity source values. The cached policy is evaluated against each request's own method.
 */
const resultCache = new Map();

/** `method.request.header.X, ...` as header names; other identity sources are not emulated. */
function identityHeaders(identitySource) {
  return String(identitySource ?? '')
    .split(',')
    .map((source) => source.trim())
    .filter((source) => source !== '')
    .map((source) => {
      const header = /^method\.request\.header\.(.+)$/.exec(source);
      if (!header) throw new Error(`authorizer-emulation: identity source "${source}" is not a header; only headers are emulated`);
      return header[1].toLowerCase();
    });
}

async function invokeAuthorizer(functionKey, event) {
  // The invoke endpoint takes the deployed function name (service-stage-key), not the key.
  const functionName = state.serverless.service.getFunction(functionKey).name;
  const response = await fetch(`http://127.0.0.1:${lambdaPort()}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    body: JSON.stringify(event),
  });
  return response.json();
}

/** The REST API's authorizer: IAM policies, gateway responses. */
function restAuthenticate(endpoint, method, path) {
  const authorizer = endpoint.authorizer;
  const authorizerFunction = typeof authorizer === 'string' ? authorizer : authorizer?.name;
  const cacheTtlMs = Number(authorizer?.resultTtlInSeconds ?? 0) * 1000;
  // With caching on, API Gateway requires every identity source and answers UNAUTHORIZED itself.
  const requiredHeaders = cacheTtlMs > 0 ? identityHeaders(authorizer.identitySource) : [];
  if (cacheTtlMs > 0 && requiredHeaders.length === 0) throw new Error('authorizer-emulation: caching needs an identity source');

  return async function authenticate(request, h) {
    stripOverrideHeader(request);
    if (!authorizerFunction) return h.authenticated({ credentials: {} });

    const provider = state.serverless.service.provider;
    const methodArn = `arn:aws:execute-api:${provider.region}:000000000000:offline/${provider.stage}/${method.toUpperCase()}${path}`;
    let cacheKey;
    if (cacheTtlMs > 0) {
      const identity = requiredHeaders.map((header) => request.headers[header]);
      if (identity.some((value) => !value)) return renderGatewayResponse(h, 'UNAUTHORIZED', {});
      cacheKey = JSON.stringify([authorizerFunction, ...identity]);
    }
    const cached = cacheKey && resultCache.get(cacheKey);
    let result = cached && cached.untilMs > Date.now() ? cached.result : undefined;
    if (!result) {
      try {
        result = await invokeAuthorizer(authorizerFunction, requestEvent(request, methodArn, path));
      } catch {
        return renderGatewayResponse(h, 'AUTHORIZER_FAILURE', {});
      }
      if (result === 'Unauthorized' || result?.errorMessage === 'Unauthorized') return renderGatewayResponse(h, 'UNAUTHORIZED', {});
      if (!result || result.errorMessage !== undefined || !result.principalId) {
        return renderGatewayResponse(h, 'AUTHORIZER_FAILURE', {});
      }
      if (cacheKey) cacheResult(cacheKey, result, cacheTtlMs);
    }
    if (!allows(result.policyDocument, methodArn)) return renderGatewayResponse(h, 'ACCESS_DENIED', result.context);
    return h.authenticated({
      credentials: { context: { ...result.context }, principalId: result.principalId },
    });
  };
}

function cacheResult(cacheKey, result, ttlMs) {
  if (resultCache.size >= 10_000) resultCache.delete(resultCache.keys().next().value);
  resultCache.set(cacheKey, { result, untilMs: Date.now() + ttlMs });
}

/** An httpApi event's authorizer, as `provider.httpApi.authorizers` defines it (deploy/config/api-flavour.cjs). */
function httpApiAuthorizerSettings(endpoint) {
  const name = typeof endpoint.authorizer === 'string' ? endpoint.authorizer : endpoint.authorizer?.name;
  const definition = state.serverless.service.provider.httpApi?.authorizers?.[name];
  if (!definition) throw new Error(`authorizer-emulation: the httpApi authorizer "${name}" is not defined`);
  // Only what api-flavour.cjs configures is emulated: anything else would be answered unlike AWS.
  if (definition.type !== 'request' || definition.payloadVersion !== '2.0' || definition.enableSimpleResponses !== true) {
    throw new Error(`authorizer-emulation: the httpApi authorizer "${name}" must be a request authorizer with payload 2.0 and simple responses`);
  }
  const ttl = definition.resultTtlInSeconds;
  if (!Number.isInteger(ttl)) throw new Error(`authorizer-emulation: the httpApi authorizer "${name}" needs a resultTtlInSeconds`);
  const headers = [].concat(definition.identitySource ?? []).map((source) => {
    const header = /^\$request\.header\.(.+)$/.exec(String(source).trim());
    if (!header) throw new Error(`authorizer-emulation: identity source "${source}" is not a header; only headers are emulated`);
    return header[1].toLowerCase();
  });
  // "To enable caching, your authorizer must have at least one identity source" (http-api-lambda-authorizer.html).
  if (ttl > 0 && headers.length === 0) throw new Error('authorizer-emulation: caching needs an identity source');
  return { functionName: definition.functionName ?? name, ttlMs: ttl * 1000, identityHeaders: headers };
}

/**
 * The payload 2.0 REQUEST event (http-api-lambda-authorizer.html, "Payload format version"): header names
 * lower-cased, repeated headers joined with commas, the Cookie header taken out into `cookies`.
 */
function requestEventV2(request, routeKey, routeArn, identity) {
  const headers = {};
  const cookies = [];
  const raw = request.raw.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (isMarker(raw[i])) continue;
    const name = String(raw[i]).toLowerCase();
    const value = String(raw[i + 1]);
    if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter((cookie) => cookie !== ''));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query = Object.keys(request.query).length ? { ...request.query } : undefined;
  const method = request.method.toUpperCase();
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn,
    identitySource: identity,
    routeKey,
    rawPath: request.path,
    rawQueryString: request.url.search.replace(/^\?/, ''),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'offline',
      domainName: headers.host,
      http: { method, path: request.path, protocol: 'HTTP/1.1', sourceIp: request.info.remoteAddress, userAgent: headers['user-agent'] ?? '' },
      requestId: request.info.id,
      routeKey,
      stage: '$default',
      time: new Date(request.info.received).toISOString(),
      timeEpoch: request.info.received,
    },
    ...(Object.keys(request.params).length ? { pathParameters: { ...request.params } } : {}),
  };
}

/** The HTTP API's Lambda authorizer (payload 2.0, simple responses). Never fails open: only `isAuthorized: true` passes. */
function httpApiAuthenticate(endpoint, method, path) {
  const settings = endpoint.authorizer ? httpApiAuthorizerSettings(endpoint) : undefined;
  const routeKey = `${method.toUpperCase()} ${path}`;

  return async function authenticate(request, h) {
    stripOverrideHeader(request);
    if (!settings) return h.authenticated({ credentials: {} });

    const provider = state.serverless.service.provider;
    const routeArn = `arn:aws:execute-api:${provider.region}:000000000000:offline/$default/${method.toUpperCase()}${path}`;
    const identity = settings.identityHeaders.map((header) => request.headers[header]);
    if (identity.some((value) => !value)) return renderHttpApiAnswer(h, HTTP_API.unauthorized);
    const cacheKey = settings.ttlMs > 0 ? JSON.stringify([settings.functionName, ...identity]) : undefined;
    const cached = cacheKey && resultCache.get(cacheKey);
    let result = cached && cached.untilMs > Date.now() ? cached.result : undefined;
    if (!result) {
      try {
        result = await invokeAuthorizer(settings.functionName, requestEventV2(request, routeKey, routeArn, identity.length ? identity : undefined));
      } catch {
        return renderHttpApiAnswer(h, HTTP_API.failure);
      }
      if (typeof result?.isAuthorized !== 'boolean' || result.errorMessage !== undefined) return renderHttpApiAnswer(h, HTTP_API.failure);
      // A simple response allows or denies every route for the cached identity (http-api-lambda-authorizer.html, "Caching").
      if (cacheKey) cacheResult(cacheKey, result, settings.ttlMs);
    }
    if (result.isAuthorized !== true) return renderHttpApiAnswer(h, HTTP_API.forbidden);
    // serverless-offline puts `context` under requestContext.authorizer.lambda, where AWS does.
    return h.authenticated({ credentials: { context: { ...result.context } } });
  };
}

module.exports = function emulatedAuthorizer(endpoint, functionKey, method, path) {
  const name = `emulated-authorizer-${functionKey}-${method}-${path}`;
  const httpApi = endpoint.isHttpApi === true;
  const authenticate = httpApi ? httpApiAuthenticate(endpoint, method, path) : restAuthenticate(endpoint, method, path);
  return {
    name,
    scheme: name,
    // hapi calls this with its server: the one place we can reach serverless-offline's HTTP server.
    getAuthenticateFunction: (server) => {
      // The functions' events as API Gateway builds them: no Content-Type where the request had none.
      markMissingContentType(server);
      if (httpApi) answerAsHttpApi(server);
      else limitCorsToConfiguredOrigins(server);
      return { authenticate };
    },
  };
};

const patchedServers = new WeakSet();

/**
 * The HTTP API's CORS and its 404, on every answer (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html):
 * "API Gateway automatically sends a response to preflight OPTIONS requests", "adds the configured CORS
 * headers to the response", and "ignores CORS headers returned from your backend integration"; a request
 * needs an `Origin` to get any, a preflight also `Access-Control-Request-Method`. An origin that is not
 * configured gets none. The authorizer's refusals get the same headers: AWS's page names no exception, and
 * aws/aws-sam-cli#9087 reports a deployed HTTP API sending them on a Lambda authorizer's denial.
 */
function answerAsHttpApi(server) {
  if (patchedServers.has(server)) return;
  patchedServers.add(server);
  const cors = state.serverless.service.provider.httpApi?.cors;
  const allowed = new Set(cors?.allowedOrigins ?? []);
  const methods = httpApiMethods();
  server.ext('onPreResponse', (request, h) => {
    // No route: the HTTP API's 404, where serverless-offline would list every route it has; its 413 for hapi's.
    const own = isRouteNotFound(request) ? HTTP_API.notFound : isBodyTooLarge(request) ? HTTP_API.tooLarge : undefined;
    const response = own ? httpApiAnswer(h, own) : request.response;
    const headers = (response.isBoom ? response.output.headers : response.headers) ?? {};
    for (const header of Object.keys(headers)) if (/^access-control-/i.test(header)) delete headers[header];
    // hapi adds a route's CORS headers after this step, for any origin its route settings match (the 404 route's
    // match all): told the origin did not match, it leaves CORS to this function alone.
    if (request.info.cors) request.info.cors.isOriginMatch = false;
    const origin = request.headers.origin;
    if (cors && origin && allowed.has(origin)) {
      headers['access-control-allow-origin'] = origin;
      if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
      if (request.method === 'options' && request.headers['access-control-request-method']) {
        headers['access-control-allow-methods'] = methods.join(',');
        headers['access-control-allow-headers'] = (cors.allowedHeaders ?? []).join(',').toLowerCase();
        if (cors.maxAge !== undefined) headers['access-control-max-age'] = String(cors.maxAge);
      }
    }
    return own ? response.takeover() : h.continue;
  });
}

/** The CORS configuration's methods as the framework fills them: every route's method, and OPTIONS. */
function httpApiMethods() {
  const service = state.serverless.service;
  const methods = new Set(['OPTIONS']);
  for (const name of service.getAllFunctions()) {
    for (const event of service.getFunction(name).events ?? []) {
      // serverless-offline replaces an event's method and path with its routeKey.
      const method = event.httpApi?.method ?? event.httpApi?.routeKey?.split(' ')[0];
      if (method) methods.add(String(method).toUpperCase());
    }
  }
  return [...methods].sort();
}

/**
 * serverless-offline answers every CORS request, preflights included, with the caller's own origin.
 * API Gateway answers with the configured origin only; this makes the local server do the same.
 */
function limitCorsToConfiguredOrigins(server) {
  if (patchedServers.has(server)) return;
  patchedServers.add(server);
  const allowed = new Set(origins());
  server.ext('onPreResponse', (request, h) => {
    // No route for this path and method: API Gateway's MISSING_AUTHENTICATION_TOKEN, where serverless-offline
    // would list every route it has. A body over 10 MB: REQUEST_TOO_LARGE, where hapi would answer in its own shape.
    if (isRouteNotFound(request)) return renderGatewayResponse(h, 'MISSING_AUTHENTICATION_TOKEN', {}, 'Missing Authentication Token');
    if (isBodyTooLarge(request)) return renderGatewayResponse(h, 'REQUEST_TOO_LARGE', {}, 'Request Too Long');
    const origin = request.headers.origin;
    if (origin && !allowed.has(origin)) {
      const response = request.response.isBoom ? request.response.output : request.response;
      for (const name of Object.keys(response.headers ?? {})) {
        if (/^access-control-allow-(origin|credentials)$/i.test(name)) delete response.headers[name];
      }
      // Handlers answer a foreign origin with no CORS header (lib/http/response.ts); a gateway response keeps
      // its static one, as on AWS, where it cannot depend on the request.
      for (const [name, value] of Object.entries(request.app.gatewayResponseHeaders ?? {})) {
        if (/^access-control-allow-/.test(name)) response.headers[name] = value;
      }
    }
    return h.continue;
  });
}
