'use strict';
/**
 * Serverless plugin: which API Gateway flavour the service is behind. API_GATEWAY=rest (the default) keeps
 * serverless.yml as written: a REST API, its `http` events, gateway responses with the contract's bodies.
 * API_GATEWAY=http puts the same functions behind an HTTP API (API Gateway v2) instead:
 *
 * - Routes: every `http` event of serverless.yml becomes the `httpApi` event of the same method and path,
 *   so serverless.yml stays the one list of routes; a route with the authorizer keeps it.
 * - Authorizer: the same function, as an HTTP API REQUEST authorizer with payload 2.0 and simple responses
 *   (handlers/access/authorizer.ts answers both). Its cache settings come from deploy/config/authorizer.cjs
 *   as for REST: the function's own cache by default (no identity source, so tokens in either header and the
 *   cookie all reach it), or with AUTHORIZER_CACHE=gateway the HTTP API's cache keyed by Authorization.
 * - CORS: the same origins, headers, credentials and max age, as the HTTP API's CORS configuration.
 * - Gateway responses do not exist on an HTTP API: they are left out, and a refusal by the authorizer is the
 *   HTTP API's own 401/403 body (docs/design.md, "Choosing the API flavour"). Never fail open: a route that had the
 *   authorizer has it, and every handler of such a route also refuses a request without its context.
 * - No WAF (it cannot be attached to an HTTP API): WAF_RATE_LIMIT > 0 is refused.
 *
 * Throttling of either flavour is deploy/config/api-protection.cjs.
 */
const { settings: authorizerSettings } = require('./authorizer.cjs');

const FLAVOURS = ['rest', 'http'];

function flavour() {
  const value = process.env.API_GATEWAY || 'rest';
  if (!FLAVOURS.includes(value)) throw new Error(`API_GATEWAY must be one of ${FLAVOURS.join(', ')}, not "${value}"`);
  return value;
}

/** The HTTP API's authorizer, from the same cache settings as the REST one. */
function httpApiAuthorizer() {
  const { mode, ttl } = authorizerSettings();
  const gatewayCache = mode === 'gateway' && ttl > 0;
  return {
    type: 'request',
    functionName: 'authorizer',
    payloadVersion: '2.0',
    enableSimpleResponses: true,
    resultTtlInSeconds: gatewayCache ? ttl : 0,
    // An identity source is required only for the HTTP API's cache; without one, every request reaches the
    // authorizer, whichever of the three credentials it carries.
    ...(gatewayCache ? { identitySource: ['$request.header.Authorization'] } : {}),
  };
}

/** The REST `cors` of an http event (serverless.yml's `custom.cors`) as the HTTP API's CORS configuration. */
function httpApiCors(cors) {
  return {
    allowedOrigins: cors.origins,
    allowedHeaders: cors.headers,
    allowCredentials: cors.allowCredentials,
    maxAge: cors.maxAge,
  };
}

class ApiFlavour {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // After variables are resolved, before serverless-offline or the packager read the events.
      // A ServerlessError prints its message alone, without a stack trace.
      initialize: () => {
        try {
          this.apply();
        } catch (error) {
          throw new serverless.classes.Error(error.message);
        }
      },
      'before:package:finalize': () => this.restoreCollidingRoutes(),
    };
  }

  apply() {
    if (flavour() !== 'http') return;
    // The local stage serves the same httpApi events through serverless-offline; deploy/offline/authorizer-emulation.cjs
    // answers as the HTTP API does (its 401/403/500/404 bodies, its CORS).
    if (Number(process.env.WAF_RATE_LIMIT || 0) > 0) {
      throw new Error('WAF_RATE_LIMIT needs API_GATEWAY=rest: AWS WAF cannot be attached to an HTTP API');
    }
    const service = this.serverless.service;
    let cors;
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      fn.events = (fn.events ?? []).map((event) => {
        if (!event.http) return event;
        const { method, path, authorizer } = event.http;
        cors ??= event.http.cors;
        return { httpApi: { method: String(method).toUpperCase(), path, ...(authorizer ? { authorizer: { name: 'authorizer' } } : {}) } };
      });
    }
    service.provider.httpApi = {
      ...service.provider.httpApi,
      payload: '2.0',
      ...(cors ? { cors: httpApiCors(cors) } : {}),
      authorizers: { authorizer: httpApiAuthorizer() },
    };
    // The REST API's gateway responses name a REST API that an HTTP API stack does not have.
    const resources = service.resources?.Resources ?? {};
    for (const [id, resource] of Object.entries(resources)) if (resource?.Type === 'AWS::ApiGateway::GatewayResponse') delete resources[id];
  }

  /**
   * The framework names a route's resources after its path with the case folded, so
   * `/api/auth/refreshtoken` and `/api/auth/refreshToken` (the tutorial's two spellings) get one logical id
   * and the second overwrites the first: on AWS one of them would not exist (serverless-offline serves
   * both, so only the template shows it). Every route of the events is put back beside its twin, in
   * either flavour.
   */
  restoreCollidingRoutes() {
    const service = this.serverless.service;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const unusedId = (id) => {
      let candidate = `${id}Spelling2`;
      for (let n = 3; candidate in resources; n++) candidate = `${id}Spelling${n}`;
      return candidate;
    };
    const wanted = [];
    for (const name of service.getAllFunctions()) {
      for (const event of service.getFunction(name).events ?? []) {
        const route = event.http ?? event.httpApi;
        if (route && typeof route === 'object') wanted.push({ method: String(route.method).toUpperCase(), path: `/${String(route.path).replace(/^\//, '')}` });
      }
    }
    if (flavour() === 'http') restoreHttpApiRoutes(resources, wanted, unusedId);
    else restoreRestResources(resources, wanted, unusedId);
  }
}

/** HTTP API: a missing route key gets a copy of its twin's route (same integration). */
function restoreHttpApiRoutes(resources, wanted, unusedId) {
  const routes = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Route');
  const present = new Set(routes.map(([, route]) => route.Properties.RouteKey));
  for (const { method, path } of wanted) {
    const routeKey = `${method} ${path}`;
    if (present.has(routeKey)) continue;
    const twin = routes.find(([, route]) => route.Properties.RouteKey.toLowerCase() === routeKey.toLowerCase());
    if (!twin) throw new Error(`api-flavour: no route to copy for ${routeKey}`);
    resources[unusedId(twin[0])] = { ...twin[1], Properties: { ...twin[1].Properties, RouteKey: routeKey } };
    present.add(routeKey);
  }
}

/** REST API: a missing path gets a copy of its twin's resource (same parent) and of the twin's methods. */
function restoreRestResources(resources, wanted, unusedId) {
  const pathOf = (id) => {
    const resource = resources[id];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(resource.Properties.ParentId?.Ref)}/${resource.Properties.PathPart}`;
  };
  const byPath = new Map(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::ApiGateway::Resource')
      .map(([id]) => [pathOf(id), id]),
  );
  const deployment = Object.values(resources).find((resource) => resource.Type === 'AWS::ApiGateway::Deployment');
  for (const { path } of wanted) {
    if (byPath.has(path)) continue;
    const twinId = [...byPath].find(([known]) => known.toLowerCase() === path.toLowerCase())?.[1];
    if (!twinId) throw new Error(`api-flavour: no resource to copy for ${path}`);
    if (Object.values(resources).some((resource) => resource.Properties?.ParentId?.Ref === twinId)) {
      throw new Error(`api-flavour: ${path} differs from a route with sub-paths only in case; give it another path`);
    }
    const copyId = unusedId(twinId);
    const twin = resources[twinId];
    resources[copyId] = { ...twin, Properties: { ...twin.Properties, PathPart: path.slice(path.lastIndexOf('/') + 1) } };
    for (const [methodId, method] of Object.entries(resources)) {
      if (method.Type !== 'AWS::ApiGateway::Method' || method.Properties.ResourceId?.Ref !== twinId) continue;
      const methodCopyId = unusedId(methodId);
      resources[methodCopyId] = { ...method, Properties: { ...method.Properties, ResourceId: { Ref: copyId } } };
      // The deployment must come after every method it deploys.
      if (deployment) deployment.DependsOn = [...new Set([...(deployment.DependsOn ?? []), methodCopyId])];
    }
    byPath.set(path, copyId);
  }
}

ApiFlavour.flavour = flavour;
module.exports = ApiFlavour;
