'use strict';
/**
 * serverless-offline `customAuthenticationProvider`: runs our Lambda authorizer the way API Gateway
 * does, including the parts serverless-offline leaves out, so local answers match AWS byte for byte:
 *
 * - GatewayResponses: a Deny or an error is answered with the ACCESS_DENIED / UNAUTHORIZED /
 *   AUTHORIZER_FAILURE response defined in serverless.yml resources (status, headers, body with
 *   `$context.authorizer.*` filled in), instead of serverless-offline's own Boom bodies.
 * - CORS: only configured origins get Access-Control-Allow-Origin (serverless-offline echoes any).
 * - Unknown paths get API Gateway's 403 "Missing Authentication Token", not a list of every route.
 * - Result caching (`resultTtlInSeconds` > 0, AUTHORIZER_CACHE=gateway): decisions cached by identity
 *   source, and a request without one refused with UNAUTHORIZED before the authorizer runs.
 * - The `sls-offline-authorizer-override` header, which serverless-offline otherwise lets any client
 *   use to forge the authorizer context (e.g. admin roles), is stripped from every request.
 *
 * The authorizer itself runs inside serverless-offline, through its Lambda invoke endpoint, with the
 * same bundle and environment as every other function.
 */
const state = require('./state.cjs');
const { origins } = require('../config/cors.cjs');

const OVERRIDE_HEADER = 'sls-offline-authorizer-override';
const DEFAULT_STATUS = { ACCESS_DENIED: '403', UNAUTHORIZED: '401', AUTHORIZER_FAILURE: '500', DEFAULT_4XX: '403' };

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
  const definition = gatewayResponses()[type] ?? {};
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

module.exports = function emulatedAuthorizer(endpoint, functionKey, method, path) {
  const name = `emulated-authorizer-${functionKey}-${method}-${path}`;
  const authorizer = endpoint.authorizer;
  const authorizerFunction = typeof authorizer === 'string' ? authorizer : authorizer?.name;
  const cacheTtlMs = Number(authorizer?.resultTtlInSeconds ?? 0) * 1000;
  // With caching on, API Gateway requires every identity source and answers UNAUTHORIZED itself.
  const requiredHeaders = cacheTtlMs > 0 ? identityHeaders(authorizer.identitySource) : [];
  if (cacheTtlMs > 0 && requiredHeaders.length === 0) throw new Error('authorizer-emulation: caching needs an identity source');

  async function authenticate(request, h) {
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
      if (cacheKey) {
        if (resultCache.size >= 10_000) resultCache.delete(resultCache.keys().next().value);
        resultCache.set(cacheKey, { result, untilMs: Date.now() + cacheTtlMs });
      }
    }
    if (!allows(result.policyDocument, methodArn)) return renderGatewayResponse(h, 'ACCESS_DENIED', result.context);
    return h.authenticated({
      credentials: { context: { ...result.context }, principalId: result.principalId },
    });
  }

  return {
    name,
    scheme: name,
    // hapi calls this with its server: the one place we can reach serverless-offline's HTTP server.
    getAuthenticateFunction: (server) => {
      limitCorsToConfiguredOrigins(server);
      return { authenticate };
    },
  };
};

const patchedServers = new WeakSet();

/**
 * serverless-offline answers every CORS request, preflights included, with the caller's own origin.
 * API Gateway answers with the configured origin only; this makes the local server do the same.
 */
function limitCorsToConfiguredOrigins(server) {
  if (patchedServers.has(server)) return;
  patchedServers.add(server);
  const allowed = new Set(origins());
  server.ext('onPreResponse', (request, h) => {
    // An unknown path: API Gateway answers 403 "Missing Authentication Token" through DEFAULT_4XX,
    // where serverless-offline would list every route it has.
    if (request.response?.source?.error === 'Serverless-offline: route not found.') {
      return renderGatewayResponse(h, 'DEFAULT_4XX', {}, 'Missing Authentication Token');
    }
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
