'use strict';
/**
 * Serverless plugin: request throttling for the deployed API, written into the CloudFormation template
 * when the service is packaged (`osls package` / `osls deploy`). Nothing of it runs locally.
 *
 * - Stage throttling: THROTTLE_RATE requests per second steady, THROTTLE_BURST at once, for every route.
 * - Stricter limits on every route that takes a POST without the authorizer (sign-up, sign-in, refresh,
 *   sign-out, and whatever public POST comes next): THROTTLE_PUBLIC_RATE / THROTTLE_PUBLIC_BURST. These
 *   cost a bcrypt hash or a database write each and need no account to call, so they are what a flood
 *   would aim at. (Per client, the sign-in lockout still applies; this bounds the whole stage.)
 * - Optional AWS WAF: WAF_RATE_LIMIT > 0 adds a web ACL with a rate-based rule that blocks a source IP
 *   sending more than that many requests in any 5 minutes, with a 429 JSON body (WAF costs money at
 *   rest, so it is off by default).
 *
 * Serverless Framework v3 lets the API Gateway Deployment create the stage, and a Deployment's
 * StageDescription is applied only when the stage is first created. So, as AWS SAM does, the stage
 * becomes a resource of its own (AWS::ApiGateway::Stage) pointing at each new deployment: its settings
 * are applied on every deploy. (A stack deployed before this change owns its stage through the
 * Deployment: see docs/deploy.md "Throttling" for the one-time step.)
 */
const STAGE_LOGICAL_ID = 'ApiStage';

function number(name, fallback, { min, max }) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

/** The throttling settings, from the environment at packaging time. */
function settings() {
  return {
    rate: number('THROTTLE_RATE', 500, { min: 1, max: 10_000 }),
    burst: number('THROTTLE_BURST', 1000, { min: 1, max: 5000 }),
    publicRate: number('THROTTLE_PUBLIC_RATE', 50, { min: 1, max: 10_000 }),
    publicBurst: number('THROTTLE_PUBLIC_BURST', 100, { min: 1, max: 5000 }),
    wafRateLimit: wafRateLimit(),
  };
}

/** 0 (no WAF), or what AWS WAF's rate-based rules accept: 10 to 2,000,000,000 requests per 5 minutes. */
function wafRateLimit() {
  const value = number('WAF_RATE_LIMIT', 0, { min: 0, max: 2_000_000_000 });
  if (value !== 0 && value < 10) throw new Error(`WAF_RATE_LIMIT must be 0 (off) or from 10 to 2000000000, not "${value}"`);
  return value;
}

/** `/api/auth/signin` as CloudFormation's MethodSettings name it: `/~1api~1auth~1signin`. */
function methodSettingPath(path) {
  return `/${`/${path.replace(/^\//, '')}`.replace(/\//g, '~1')}`;
}

/** Every http (REST) or httpApi (HTTP API: deploy/config/api-flavour.cjs) event that is a POST without an authorizer: the public write routes. */
function publicPosts(service) {
  const routes = [];
  for (const name of service.getAllFunctions()) {
    for (const event of service.getFunction(name).events ?? []) {
      const http = event.http ?? event.httpApi;
      if (!http || typeof http !== 'object') continue;
      if (String(http.method).toUpperCase() === 'POST' && !http.authorizer) routes.push(http.path);
    }
  }
  return [...new Set(routes)].sort();
}

class ApiProtection {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.protect() };
  }

  protect() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const resources = template.Resources;
    const httpApiStage = Object.values(resources).find((resource) => resource.Type === 'AWS::ApiGatewayV2::Stage');
    if (httpApiStage) return this.protectHttpApi(httpApiStage);
    const deploymentId = Object.keys(resources).find((id) => resources[id].Type === 'AWS::ApiGateway::Deployment');
    if (!deploymentId) return;
    const deployment = resources[deploymentId];
    const stageName = deployment.Properties.StageName;
    delete deployment.Properties.StageName;
    const { rate, burst, publicRate, publicBurst, wafRateLimit } = settings();

    resources[STAGE_LOGICAL_ID] = {
      Type: 'AWS::ApiGateway::Stage',
      Properties: {
        RestApiId: deployment.Properties.RestApiId,
        DeploymentId: { Ref: deploymentId },
        StageName: stageName,
        MethodSettings: [
          { ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst },
          ...publicPosts(this.serverless.service).map((path) => ({
            ResourcePath: methodSettingPath(path),
            HttpMethod: 'POST',
            ThrottlingRateLimit: publicRate,
            ThrottlingBurstLimit: publicBurst,
          })),
        ],
      },
    };

    if (wafRateLimit > 0) {
      resources.ApiWebAcl = {
        Type: 'AWS::WAFv2::WebACL',
        Properties: {
          Scope: 'REGIONAL',
          DefaultAction: { Allow: {} },
          VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: `${stageName}-api` },
          CustomResponseBodies: {
            tooManyRequests: { ContentType: 'APPLICATION_JSON', Content: '{"message":"Too many requests. Please try again later."}' },
          },
          Rules: [
            {
              Name: 'rate-per-ip',
              Priority: 0,
              Statement: { RateBasedStatement: { Limit: wafRateLimit, AggregateKeyType: 'IP' } },
              Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'tooManyRequests' } } },
              VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: `${stageName}-rate-per-ip` },
            },
          ],
        },
      };
      resources.ApiWebAclAssociation = {
        Type: 'AWS::WAFv2::WebACLAssociation',
        DependsOn: [STAGE_LOGICAL_ID],
        Properties: {
          WebACLArn: { 'Fn::GetAtt': ['ApiWebAcl', 'Arn'] },
          ResourceArn: {
            'Fn::Sub': [
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template.
              'arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${Stage}',
              { Api: deployment.Properties.RestApiId, Stage: stageName },
            ],
          },
        },
      };
    }
  }
}

/**
 * The same limits on an HTTP API: its stage's default route settings, and route settings per public POST
 * (keyed by route, `POST /api/auth/signin`). The HTTP API's stage is updated by every deploy (AutoDeploy).
 */
ApiProtection.prototype.protectHttpApi = function protectHttpApi(stage) {
  const { rate, burst, publicRate, publicBurst } = settings();
  stage.Properties.DefaultRouteSettings = { ...stage.Properties.DefaultRouteSettings, ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst };
  stage.Properties.RouteSettings = Object.fromEntries(
    publicPosts(this.serverless.service).map((path) => [`POST ${path}`, { ThrottlingRateLimit: publicRate, ThrottlingBurstLimit: publicBurst }]),
  );
};

module.exports = ApiProtection;
