import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '../../lib/access/signing-keys';
import { MAX_BODY_BYTES } from '../../lib/http/request';
import { MESSAGES } from '../../lib/shared/messages';
import { PAGE_ROUTES } from '../../lib/web/site';
import { resourceSchema, schemaErrors } from '../support/cloudformation-schema';

// `osls package --stage prod` without AWS credentials, then the CloudFormation template and every bundle
// are inspected: what would be deployed, checked offline.
const ROOT = join(__dirname, '../..');
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form JSON; the tests read them by shape.
type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
let resources: Record<string, Resource>;
let bundles: Map<string, string>;
let templateText: string;
const secrets: string[] = [];
let outDir: string;

const OSLS = join(ROOT, 'node_modules/serverless/bin/serverless.js');
const PROD_ORIGIN = 'https://app.example.com';
const PROD_SENDER = 'no-reply@mail.example.com';
const PROD_APP_URL = 'https://app.example.com/account';
const PROD_RP_ID = 'example.com';

/**
 * `osls package --stage prod` into `outDir` with only the given environment (no AWS credentials);
 * CORS_ORIGIN, SES_FROM, APP_URL, WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS set as a deployed stage requires,
 * unless the test overrides them.
 */
function packageProd(outDir: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [OSLS, 'package', '--stage', 'prod', '--package', outDir], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLS_TELEMETRY_DISABLED: '1',
      CORS_ORIGIN: PROD_ORIGIN,
      SES_FROM: PROD_SENDER,
      APP_URL: PROD_APP_URL,
      WEBAUTHN_RP_ID: PROD_RP_ID,
      WEBAUTHN_ORIGINS: PROD_ORIGIN,
      ...env,
    },
  });
}

const resourcesOf = (templateJson: string) => (JSON.parse(templateJson) as { Resources: Record<string, Resource> }).Resources;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'jwt-auth-package-'));
  // Secrets a developer might have in the environment while packaging: none may end up in the output.
  const privateKey = await generateSigningKey('secret-key');
  const adminPassword = `admin-${randomBytes(8).toString('hex')}`;
  secrets.push(adminPassword, String(privateKey.d), String(privateKey.p));
  const result = packageProd(outDir, {
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
    SIGNING_KEYS: JSON.stringify({ keys: [privateKey] }),
    SIGNING_KEY_FILE: join(outDir, 'not-there.json'),
  });
  if (result.status !== 0) throw new Error(`osls package failed:\n${result.stdout}\n${result.stderr}`);
  templateText = readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8');
  resources = resourcesOf(templateText);
  bundles = new Map();
  for (const zip of readdirSync(outDir).filter((file) => file.endsWith('.zip'))) {
    const listing = spawnSync('unzip', ['-p', join(outDir, zip)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (listing.status !== 0) throw new Error(`unzip ${zip} failed`);
    bundles.set(zip, listing.stdout);
  }
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

describe('the prod template', () => {
  it("is valid against AWS's published resource schemas (types, property names at every depth, required ones, GetAtt names)", () => {
    const template = JSON.parse(templateText);
    // Every resource is checked against a schema: none is a custom type the check would skip.
    expect(Object.values(resources).filter((resource) => !resourceSchema(resource.Type))).toEqual([]);
    expect(schemaErrors(template)).toEqual([]);
  });

  it('the schema check finds each kind of mistake in this very template', () => {
    const template = JSON.parse(templateText);
    const fn = template.Resources.SigninLambdaFunction.Properties;
    fn.MemorySze = fn.MemorySize;
    delete fn.Role;
    fn.Environment.Variablez = fn.Environment.Variables;
    fn.Timeout = 'ten';
    template.Resources.SigninLogGroup.Type = 'AWS::Logs::LogGroop';
    const permission = Object.values(template.Resources as Record<string, Resource>).find((resource) => resource.Type === 'AWS::Lambda::Permission')!;
    permission.Properties.FunctionName = { 'Fn::GetAtt': ['SigninLambdaFunction', 'Arnn'] };
    template.Resources.SigninLambdaFunction.DependsOn = ['NoSuchResource'];
    const errors = schemaErrors(template);
    // Seven mistakes made, seven found, and nothing else (the untouched template is valid: above).
    expect(errors).toHaveLength(7);
    expect(errors).toEqual(
      expect.arrayContaining([
        'SigninLambdaFunction (AWS::Lambda::Function): required property Role is missing',
        'SigninLambdaFunction (AWS::Lambda::Function): unknown property MemorySze',
        'SigninLambdaFunction (AWS::Lambda::Function).Environment: unknown property Variablez',
        'SigninLambdaFunction (AWS::Lambda::Function).Timeout: "ten" is not a valid integer',
        'SigninLogGroup: unknown resource type AWS::Logs::LogGroop',
        'SigninLambdaFunction: DependsOn NoSuchResource, which is no resource',
        expect.stringMatching(/\.Properties\.FunctionName: AWS::Lambda::Function SigninLambdaFunction has no attribute Arnn /),
      ]),
    );
  });

  it('gives every function a role of its own', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(17);
    const roles = functions.map(([, fn]) => JSON.stringify(fn.Properties.Role));
    expect(new Set(roles).size).toBe(functions.length);
  });

  it('grants data and key access only on exact resources, never `*`', () => {
    for (const [name, role] of ofType('AWS::IAM::Role')) {
      for (const policy of role.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions: string[] = [].concat(statement.Action);
          if (!actions.some((action) => /^(dynamodb|ssm|kms):/.test(action))) continue;
          expect({ name, actions, wildcardAction: actions.some((action) => action.includes('*')) }).toEqual({ name, actions, wildcardAction: false });
          const resourceText = JSON.stringify(statement.Resource);
          expect({ name, resource: resourceText.includes('"*"') || /:\*"/.test(resourceText) }).toEqual({ name, resource: false });
        }
      }
    }
  });

  it('lets each function read only the key parts it uses: signing keys to issuers, the data key to MFA, the public set to verifiers', () => {
    const KEY_PARAMETERS = ['signing-keys', 'public-keys', 'data-key', 'cursor-key', 'oidc-client-secrets'];
    const ssmReads = (role: Resource) =>
      (role.Properties.Policies ?? [])
        .flatMap((policy: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }) => policy.PolicyDocument.Statement)
        .filter((statement: { Action: string | string[] }) => ([] as string[]).concat(statement.Action).some((action) => action.startsWith('ssm:')));
    const readers: Record<string, string[]> = Object.fromEntries(KEY_PARAMETERS.map((name) => [name, []]));
    for (const [name, role] of ofType('AWS::IAM::Role')) {
      for (const statement of ssmReads(role)) {
        const resource = JSON.stringify(statement.Resource);
        const parameter = KEY_PARAMETERS.find((key) => resource.endsWith(`parameter/lambda-jwt-auth/prod/${key}"}`));
        // Every SSM grant is GetParameter on exactly one of the four key parameters or the OpenID client secrets.
        expect({ name, action: statement.Action, parameter }).toEqual({ name, action: ['ssm:GetParameter'], parameter: expect.any(String) });
        readers[parameter!]!.push(name.replace('IamRoleLambdaExecution', ''));
      }
    }
    for (const list of Object.values(readers)) list.sort();
    expect(readers).toEqual({
      // Only the functions that issue tokens hold a private key.
      'signing-keys': ['MfaVerify', 'OauthToken', 'PasskeySignInVerify', 'Refresh', 'Signin'],
      // Only the MFA functions can open a TOTP secret.
      'data-key': ['MfaConfirm', 'MfaSetup', 'MfaVerify'],
      // Whatever verifies a token: the authorizer, the JWKS, the routes that read a token themselves.
      'public-keys': ['Authorizer', 'Jwks', 'MfaVerify', 'Signout', 'Signup'],
      // The paged lists sign their cursors (HMAC).
      'cursor-key': ['AdminUserEvents', 'AdminUsers', 'SecurityEvents'],
      // Social sign-in's start (discovery with the client's credentials) and callback (the code exchange).
      'oidc-client-secrets': ['OauthAuthorize', 'OauthCallback'],
    });

    // Each function is given the names of those parameters only, and no local key file.
    const PART_VARIABLES: Record<string, string> = {
      SIGNING_KEY_PARAM: 'signing-keys',
      PUBLIC_KEYS_PARAM: 'public-keys',
      DATA_KEY_PARAM: 'data-key',
      CURSOR_KEY_PARAM: 'cursor-key',
      OIDC_CLIENT_SECRETS_PARAM: 'oidc-client-secrets',
    };
    for (const [name, fn] of ofType('AWS::Lambda::Function')) {
      const variables = fn.Properties.Environment.Variables as Record<string, string>;
      const prefix = name.replace('LambdaFunction', '');
      const named = Object.entries(PART_VARIABLES)
        .filter(([variable]) => variables[variable])
        .map(([variable, parameter]) => {
          expect(variables[variable]).toBe(`/lambda-jwt-auth/prod/${parameter}`);
          return parameter;
        })
        .sort();
      const granted = KEY_PARAMETERS.filter((parameter) => readers[parameter]!.includes(prefix)).sort();
      expect({ name, named }).toEqual({ name, named: granted });
      const files = Object.keys(variables).filter((variable) => /_FILE$/.test(variable) && variables[variable]);
      expect({ name, files }).toEqual({ name, files: [] });
      expect({ name, inline: ['SIGNING_KEYS', 'PUBLIC_KEYS', 'DATA_KEY', 'CURSOR_KEY'].filter((variable) => variable in variables) }).toEqual({
        name,
        inline: [],
      });
      // The client secrets are named to the social sign-in functions (empty on AWS), never given inline.
      expect({ name, secrets: variables.OIDC_CLIENT_SECRETS ?? '' }).toEqual({ name, secrets: '' });
    }

    // The verify-only bundles carry no code that parses a private key (lib/access/signing-keys.ts).
    for (const zip of ['authorizer.zip', 'jwks.zip', 'signup.zip', 'signout.zip']) {
      expect(bundles.has(zip)).toBe(true);
      expect({ zip, privateKeyCode: bundles.get(zip)!.includes('every signing key must be a private RSA JWK') }).toEqual({ zip, privateKeyCode: false });
    }
    expect(bundles.get('signin.zip')).toContain('every signing key must be a private RSA JWK');
  });

  it('allows credentials on every preflight and every gateway response, for the configured origin only', () => {
    const options = ofType('AWS::ApiGateway::Method').filter(([, method]) => method.Properties.HttpMethod === 'OPTIONS');
    expect(options.length).toBeGreaterThanOrEqual(20);
    for (const [name, method] of options) {
      const headers = method.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect({ name, credentials: headers['method.response.header.Access-Control-Allow-Credentials'] }).toEqual({ name, credentials: "'true'" });
      expect({ name, origin: headers['method.response.header.Access-Control-Allow-Origin'] }).toEqual({ name, origin: `'${PROD_ORIGIN}'` });
    }
    for (const [name, response] of ofType('AWS::ApiGateway::GatewayResponse')) {
      const headers = response.Properties.ResponseParameters;
      expect({ name, credentials: headers['gatewayresponse.header.Access-Control-Allow-Credentials'] }).toEqual({ name, credentials: "'true'" });
      expect({ name, origin: headers['gatewayresponse.header.Access-Control-Allow-Origin'] }).toEqual({ name, origin: `'${PROD_ORIGIN}'` });
    }
    expect(resources.SigninLambdaFunction!.Properties.Environment.Variables).toMatchObject({ AUTH_COOKIE: 'on', AUTH_COOKIE_SAMESITE: 'Lax' });
  });

  it('names the session cookie `__Host-jwt_session` for every function (HTTPS: Secure, Path=/, no Domain)', () => {
    const names = ofType('AWS::Lambda::Function').map(([name, fn]) => [name, fn.Properties.Environment.Variables.AUTH_COOKIE_NAME]);
    expect(names).toEqual(names.map(([name]) => [name, '__Host-jwt_session']));
  });

  it('binds passkeys to the configured relying party id and origins', () => {
    const passkeySignIn = resources.PasskeySignInVerifyLambdaFunction!.Properties.Environment.Variables;
    expect([passkeySignIn.WEBAUTHN_RP_ID, passkeySignIn.WEBAUTHN_ORIGINS]).toEqual([PROD_RP_ID, PROD_ORIGIN]);
  });

  it('lets only the mailer send mail, as the configured sender only; only mail-causing functions invoke it', () => {
    const rolesWith = (action: string) =>
      ofType('AWS::IAM::Role')
        .filter(([, role]) => JSON.stringify(role.Properties.Policies).includes(`"${action}"`))
        .map(([name]) => name)
        .sort();
    expect(rolesWith('ses:SendEmail')).toEqual(['MailerIamRoleLambdaExecution']);
    const statements = resources.MailerIamRoleLambdaExecution!.Properties.Policies[0].PolicyDocument.Statement as { Action: string[]; Resource: unknown }[];
    const send = statements.find((statement) => statement.Action.includes('ses:SendEmail'))!;
    expect(send.Action).toEqual(['ses:SendEmail']);
    expect(JSON.stringify(send.Resource)).toContain(`:identity/${PROD_SENDER}"`);
    expect(JSON.stringify(send.Resource)).toContain(':identity/mail.example.com"');
    expect(JSON.stringify(send.Resource)).not.toContain('*');
    expect(resources.MailerLambdaFunction!.Properties.Environment.Variables.SES_FROM).toBe(PROD_SENDER);
    expect(resources.MailerLambdaFunction!.Properties.Environment.Variables.APP_URL).toBe(PROD_APP_URL);
    // No API route reaches the mailer, and a failed job is not retried into a second mail.
    expect(templateText).not.toMatch(/functions\/mailer|MailerLambdaPermissionApiGateway/);
    const [[, invokeConfig]] = ofType('AWS::Lambda::EventInvokeConfig') as [[string, Resource]];
    expect(invokeConfig.Properties).toMatchObject({ FunctionName: { Ref: 'MailerLambdaFunction' }, MaximumRetryAttempts: 0 });

    expect(rolesWith('lambda:InvokeFunction')).toEqual(
      [
        'EmailChangeIamRoleLambdaExecution',
        'AccountDeleteIamRoleLambdaExecution',
        'EmailResendIamRoleLambdaExecution',
        'PasswordForgotIamRoleLambdaExecution',
        'PasswordIamRoleLambdaExecution',
        'PasswordResetIamRoleLambdaExecution',
        'SignupIamRoleLambdaExecution',
      ].sort(),
    );
    for (const name of rolesWith('lambda:InvokeFunction')) {
      const invoke = (resources[name]!.Properties.Policies[0].PolicyDocument.Statement as { Action: string[]; Resource: unknown }[]).find((statement) =>
        statement.Action.includes('lambda:InvokeFunction'),
      )!;
      expect(JSON.stringify(invoke.Resource)).toMatch(/:function:lambda-jwt-auth-prod-mailer"/);
    }
    // The deployed functions reach the regional endpoints, never a local one.
    expect(resources.SignupLambdaFunction!.Properties.Environment.Variables).toMatchObject({ LAMBDA_ENDPOINT: '', SES_ENDPOINT: '' });
  });

  it('has the table with TTL, point-in-time recovery, encryption, deletion protection and Retain', () => {
    const [[, table]] = ofType('AWS::DynamoDB::Table') as [[string, Resource]];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('caches authorizer decisions in the function by default, for the configured lifetime (the revocation bound)', () => {
    const [[, authorizer]] = ofType('AWS::ApiGateway::Authorizer') as [[string, Resource]];
    expect(authorizer.Properties.Type).toBe('REQUEST');
    // API Gateway's own cache stays off (it would demand one of the two token headers); the function caches.
    expect(authorizer.Properties.AuthorizerResultTtlInSeconds).toBe(0);
    expect(authorizer.Properties.IdentitySource).toBeUndefined();
    expect(resources.AuthorizerLambdaFunction!.Properties.Environment.Variables).toMatchObject({ AUTHORIZER_CACHE_TTL: '30', AUTHORIZER_CACHE: 'function' });
  });

  it('answers authorizer refusals with JSON bodies and CORS headers', () => {
    const responses = Object.fromEntries(ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    const types = ['ACCESS_DENIED', 'UNAUTHORIZED', 'AUTHORIZER_FAILURE', 'DEFAULT_4XX', 'DEFAULT_5XX'];
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(types));
    for (const type of types) {
      expect(responses[type].ResponseTemplates['application/json']).toMatch(/^\{"message":".+"\}$/);
      expect(responses[type].ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBe(`'${PROD_ORIGIN}'`);
    }
    expect(responses.ACCESS_DENIED.StatusCode).toBe('401');
    expect(responses.UNAUTHORIZED.StatusCode).toBe('401');
    // API Gateway's own refusal of a request without the identity source (AUTHORIZER_CACHE=gateway).
    expect(responses.UNAUTHORIZED.ResponseTemplates['application/json']).toBe('{"message":"No token provided!"}');
  });

  it("answers a path or method no route has with 404, and a body over API Gateway's limit with 413, in the functions' words", () => {
    const responses = Object.fromEntries(ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    expect(responses.MISSING_AUTHENTICATION_TOKEN).toMatchObject({
      StatusCode: '404',
      ResponseTemplates: { 'application/json': JSON.stringify({ message: MESSAGES.notFound }) },
    });
    expect(responses.REQUEST_TOO_LARGE).toMatchObject({
      StatusCode: '413',
      ResponseTemplates: { 'application/json': JSON.stringify({ message: MESSAGES.bodyTooLarge(MAX_BODY_BYTES) }) },
    });
    // The same type answers an unsigned request to an AWS_IAM method: with none, its 404 only ever means "no such route".
    expect(ofType('AWS::ApiGateway::Method').filter(([, method]) => method.Properties.AuthorizationType === 'AWS_IAM')).toEqual([]);
  });

  it('lets the token-checking functions read only the liveness attributes, never a password hash', () => {
    const statements = (role: string) =>
      (resources[role]!.Properties.Policies as { PolicyDocument: { Statement: { Action: string[]; Condition?: Record<string, Record<string, unknown>> }[] } }[])
        .flatMap((policy) => policy.PolicyDocument.Statement)
        .filter((statement) => ([] as string[]).concat(statement.Action).includes('dynamodb:BatchGetItem'));
    for (const role of ['AuthorizerIamRoleLambdaExecution', 'SignupIamRoleLambdaExecution', 'SignoutIamRoleLambdaExecution']) {
      const [statement, ...others] = statements(role);
      expect({ role, others }).toEqual({ role, others: [] });
      expect(statement!.Condition).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'revokedAt', 'expiresAt', 'credVersion'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      });
    }
  });

  it('throttles the stage, and the public POST routes harder, on a stage resource updated by every deploy', () => {
    const [[deploymentId, deployment]] = ofType('AWS::ApiGateway::Deployment') as [[string, Resource]];
    expect(deployment.Properties.StageName).toBeUndefined();
    const [[, stage], ...otherStages] = ofType('AWS::ApiGateway::Stage') as [[string, Resource]];
    expect(otherStages).toEqual([]);
    expect(stage.Properties).toMatchObject({ StageName: 'prod', DeploymentId: { Ref: deploymentId } });
    const settings = stage.Properties.MethodSettings as {
      ResourcePath: string;
      HttpMethod: string;
      ThrottlingRateLimit: number;
      ThrottlingBurstLimit: number;
    }[];
    expect(settings[0]).toEqual({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 });
    const publicPosts = settings
      .slice(1)
      .map(({ ResourcePath, HttpMethod, ThrottlingRateLimit, ThrottlingBurstLimit }) => [ResourcePath, HttpMethod, ThrottlingRateLimit, ThrottlingBurstLimit]);
    expect(publicPosts).toEqual(
      [
        '/~1api~1auth~1email~1resend',
        '/~1api~1auth~1email~1verify',
        '/~1api~1auth~1mfa~1verify',
        '/~1api~1auth~1oauth~1token',
        '/~1api~1auth~1passkeys~1signin~1options',
        '/~1api~1auth~1passkeys~1signin~1verify',
        '/~1api~1auth~1password~1forgot',
        '/~1api~1auth~1password~1reset',
        '/~1api~1auth~1refreshToken',
        '/~1api~1auth~1refreshtoken',
        '/~1api~1auth~1signin',
        '/~1api~1auth~1signout',
        '/~1api~1auth~1signup',
      ].map((path) => [path, 'POST', 50, 100]),
    );
    const throttled = ofType('AWS::ApiGateway::GatewayResponse').find(([, r]) => r.Properties.ResponseType === 'THROTTLED')![1];
    expect(throttled.Properties).toMatchObject({
      StatusCode: '429',
      ResponseTemplates: { 'application/json': '{"message":"Too many requests. Please try again later."}' },
    });
    // WAF costs money at rest: only when asked for (see the AUTHORIZER_CACHE=gateway package below).
    expect(ofType('AWS::WAFv2::WebACL')).toEqual([]);
  });

  it('sets log retention per stage, on the log group of every function', () => {
    const functions = ofType('AWS::Lambda::Function').map(([name]) => name.replace(/LambdaFunction$/, 'LogGroup'));
    expect(functions.length).toBeGreaterThanOrEqual(17);
    const retention = Object.fromEntries(ofType('AWS::Logs::LogGroup').map(([name, group]) => [name, group.Properties.RetentionInDays]));
    expect(retention).toEqual(Object.fromEntries(functions.map((name) => [name, 90])));
  });

  it("logs in Lambda's JSON format with its system lines at WARN (no START/END/REPORT billed), and samples served requests", () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(17);
    for (const [name, fn] of functions) {
      // No ApplicationLogLevel: it would set AWS_LAMBDA_LOG_LEVEL, which overrides Powertools' level and sampling.
      expect({ name, logging: fn.Properties.LoggingConfig }).toEqual({ name, logging: { LogFormat: 'JSON', SystemLogLevel: 'WARN' } });
      expect({ name, rate: fn.Properties.Environment.Variables.POWERTOOLS_LOGGER_SAMPLE_RATE }).toEqual({ name, rate: '0.01' });
    }
  });

  it('packages the hosted pages with their function only: every page, its assets, the API description; a role with nothing but logs', () => {
    const files = (zip: string) =>
      spawnSync('unzip', ['-Z1', join(outDir, zip)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
    const pages = files('pages.zip');
    const built = (dir: string) => readdirSync(join(ROOT, 'web/dist', dir)).map((name) => `web/dist/${dir}/${name}`);
    expect(pages).toEqual(expect.arrayContaining([...built('pages'), ...built('assets'), 'web/dist/docs/openapi.yaml']));
    expect(new Set(Object.values(PAGE_ROUTES)).size).toBe(readdirSync(join(ROOT, 'web/dist/pages')).length);
    for (const zip of readdirSync(outDir).filter((file) => file.endsWith('.zip') && file !== 'pages.zip')) {
      expect({ zip, pages: files(zip).filter((file) => file.startsWith('web/')) }).toEqual({ zip, pages: [] });
    }
    const role = resources.PagesIamRoleLambdaExecution!.Properties.Policies[0].PolicyDocument.Statement as { Action: string[] }[];
    expect(role.flatMap((statement) => statement.Action).sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('routes exactly the pages lib/web/site.ts serves (and their assets and the API description) to the pages function, with no authorizer', () => {
    const pagesMethods = Object.fromEntries(
      Object.entries(resources).filter(
        ([, resource]) =>
          resource.Type === 'AWS::ApiGateway::Method' && JSON.stringify(resource.Properties.Integration ?? {}).includes('"PagesLambdaFunction"'),
      ),
    );
    const routes = restRoutes({
      ...resources,
      ...pagesMethods,
      ...Object.fromEntries(
        ofType('AWS::ApiGateway::Method')
          .filter(([name]) => !pagesMethods[name])
          .map(([name]) => [name, { Type: 'other', Properties: {} }]),
      ),
    });
    expect(Object.keys(routes).sort()).toEqual([...Object.keys(PAGE_ROUTES), '/auth/assets/{file}', '/docs/openapi.yaml'].map((path) => `GET ${path}`).sort());
    expect(Object.values(routes)).not.toContain(true);
  });

  it('contains no secret, in the template or in any bundle', () => {
    expect(bundles.size).toBeGreaterThanOrEqual(17);
    for (const [name, text] of [['template', templateText], ...bundles] as [string, string][]) {
      for (const secret of secrets) expect({ name, leaked: text.includes(secret) }).toEqual({ name, leaked: false });
      expect({ name, pem: /BEGIN [A-Z ]*PRIVATE KEY/.test(text) }).toEqual({ name, pem: false });
    }
    expect(templateText).not.toMatch(/SIGNING_KEYS|ADMIN_PASSWORD/);
  });
});

describe('AUTHORIZER_CACHE=gateway', () => {
  let gatewayDir: string;
  beforeAll(() => {
    gatewayDir = mkdtempSync(join(tmpdir(), 'jwt-auth-package-gateway-'));
  });
  afterAll(() => rmSync(gatewayDir, { recursive: true, force: true }));

  it('has API Gateway cache decisions keyed by the Authorization header, and the function cache off', () => {
    const result = packageProd(gatewayDir, {
      AUTHORIZER_CACHE: 'gateway',
      AUTHORIZER_CACHE_TTL: '45',
      WAF_RATE_LIMIT: '2000',
      THROTTLE_PUBLIC_RATE: '5',
      // Chosen by stage, not by the environment: this cannot take the prefix off a deployed stage's cookie.
      AUTH_COOKIE_NAME: 'jwt_session',
    });
    if (result.status !== 0) throw new Error(`osls package failed:\n${result.stdout}\n${result.stderr}`);
    const gatewayText = readFileSync(join(gatewayDir, 'cloudformation-template-update-stack.json'), 'utf8');
    const gateway = resourcesOf(gatewayText);
    // The WAF and the cached authorizer exist only in this package: checked against AWS's schemas too.
    expect(schemaErrors(JSON.parse(gatewayText))).toEqual([]);
    const authorizers = Object.values(gateway).filter((resource) => resource.Type === 'AWS::ApiGateway::Authorizer');
    expect(authorizers.map((authorizer) => authorizer.Properties)).toEqual([
      expect.objectContaining({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 45, IdentitySource: 'method.request.header.Authorization' }),
    ]);
    // Two caches in a row would make the revocation bound two lifetimes.
    expect(gateway.AuthorizerLambdaFunction!.Properties.Environment.Variables.AUTHORIZER_CACHE_TTL).toBe('0');
    // API Gateway keys its cache on Authorization alone: the authorizer is told to decide from it alone.
    expect(gateway.AuthorizerLambdaFunction!.Properties.Environment.Variables.AUTHORIZER_CACHE).toBe('gateway');
    expect(gateway.SigninLambdaFunction!.Properties.Environment.Variables.AUTH_COOKIE_NAME).toBe('__Host-jwt_session');

    // This package also asked for WAF and a lower public-route rate.
    const stage = Object.values(gateway).find((resource) => resource.Type === 'AWS::ApiGateway::Stage')!;
    // The thirteen public POST routes of the default package (above), each at the lower rate.
    expect((stage.Properties.MethodSettings as { ThrottlingRateLimit: number }[]).slice(1).map((s) => s.ThrottlingRateLimit)).toEqual(Array(13).fill(5));
    const acl = Object.values(gateway).find((resource) => resource.Type === 'AWS::WAFv2::WebACL')!;
    expect(acl.Properties.Rules[0]).toMatchObject({
      Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } },
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
    });
    const association = Object.values(gateway).find((resource) => resource.Type === 'AWS::WAFv2::WebACLAssociation')!;
    expect(association.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': ['ApiWebAcl', 'Arn'] });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub placeholder.
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain('/stages/${Stage}');
  });

  it.each([
    [{ AUTHORIZER_CACHE: 'edge' }, 'AUTHORIZER_CACHE must be one of function, gateway, not "edge"'],
    [{ AUTHORIZER_CACHE_TTL: '3601' }, 'AUTHORIZER_CACHE_TTL must be a whole number of seconds from 0 to 3600'],
    [{ AUTHORIZER_CACHE_TTL: '30s' }, 'AUTHORIZER_CACHE_TTL must be a whole number of seconds from 0 to 3600'],
    // A deployed stage never falls back to the local default origin.
    [{ CORS_ORIGIN: '' }, 'CORS_ORIGIN must be set to deploy stage "prod"'],
    [{ CORS_ORIGIN: ' ' }, 'CORS_ORIGIN must be set to deploy stage "prod"'],
    // Nor to a sender SES would refuse.
    [{ SES_FROM: '' }, 'SES_FROM must be set to deploy stage "prod"'],
    [{ SES_FROM: 'Ops <ops@example.com>' }, 'SES_FROM must be a plain email address'],
    // Nor mails links to the developer's localhost: without APP_URL they open the hosted pages, at SERVICE_URL.
    [{ APP_URL: '' }, 'SERVICE_URL must be set to deploy stage "prod"'],
    [{ APP_URL: ' ', SERVICE_URL: ' ' }, 'SERVICE_URL must be set to deploy stage "prod"'],
    [{ APP_URL: 'app.example.com' }, 'APP_URL must be an absolute http(s) URL'],
    [{ APP_URL: '', SERVICE_URL: 'auth.example.com' }, 'SERVICE_URL must be an absolute http(s) URL'],
    // Nor binds passkeys to localhost, or to an id its pages cannot use.
    [{ WEBAUTHN_RP_ID: '' }, 'WEBAUTHN_RP_ID must be set to deploy stage "prod"'],
    [{ WEBAUTHN_ORIGINS: ' ' }, 'WEBAUTHN_ORIGINS must be set to deploy stage "prod"'],
    [
      { WEBAUTHN_ORIGINS: 'https://app.example.org' },
      'WEBAUTHN_ORIGINS=https://app.example.org holds https://app.example.org, whose host is not WEBAUTHN_RP_ID=example.com nor under it',
    ],
    [{ THROTTLE_RATE: 'fast' }, 'THROTTLE_RATE must be a number from 1 to 10000'],
    [{ WAF_RATE_LIMIT: '-1' }, 'WAF_RATE_LIMIT must be a number from 0 to 2000000000'],
    // Nor with a value every cold start would refuse (deploy/config/validate-config.cjs): each bad one named, one line each.
    [
      { ACCESS_TOKEN_TTL: '5', EMAIL_IP_THRESHOLD: 'many' },
      'ACCESS_TOKEN_TTL=5 is out of range: 10..86400 (seconds)\nEMAIL_IP_THRESHOLD=many is not a whole number: 1..1000000 (requests)',
    ],
  ])('refuses to package with %j', (env, message) => {
    const result = packageProd(gatewayDir, env);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(message);
  });
});

/** `POST /api/auth/signin`-style keys of the REST template's methods, each with whether the authorizer guards it. */
function restRoutes(rest: Record<string, Resource>): Record<string, boolean> {
  const pathOf = (ref: { Ref?: string; 'Fn::GetAtt'?: string[] }): string => {
    if (!ref.Ref) return '';
    const resource = rest[ref.Ref]!;
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  const routes: Record<string, boolean> = {};
  for (const method of Object.values(rest).filter((resource) => resource.Type === 'AWS::ApiGateway::Method')) {
    if (method.Properties.HttpMethod === 'OPTIONS') continue;
    routes[`${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId)}`] = method.Properties.AuthorizationType === 'CUSTOM';
  }
  return routes;
}

describe('API_GATEWAY=http', () => {
  let httpDir: string;
  let httpTemplate: { Resources: Record<string, Resource> };
  beforeAll(() => {
    httpDir = mkdtempSync(join(tmpdir(), 'jwt-auth-package-http-'));
    const result = packageProd(httpDir, { API_GATEWAY: 'http', LAMBDA_SYSTEM_LOG_LEVEL: 'INFO' });
    if (result.status !== 0) throw new Error(`osls package failed:\n${result.stdout}\n${result.stderr}`);
    httpTemplate = JSON.parse(readFileSync(join(httpDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, 120_000);
  afterAll(() => rmSync(httpDir, { recursive: true, force: true }));
  const ofHttpType = (type: string) => Object.values(httpTemplate.Resources).filter((resource) => resource.Type === type);

  it('logs as the REST flavour does, and the system log level is set per deploy', () => {
    const logging = Object.values(httpTemplate.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((fn) => fn.Properties.LoggingConfig);
    expect(logging.length).toBeGreaterThanOrEqual(17);
    expect(new Set(logging.map((config) => JSON.stringify(config)))).toEqual(new Set([JSON.stringify({ LogFormat: 'JSON', SystemLogLevel: 'INFO' })]));
  });

  it("is valid against AWS's published resource schemas, and has no REST API part left", () => {
    expect(Object.values(httpTemplate.Resources).filter((resource) => !resourceSchema(resource.Type))).toEqual([]);
    expect(schemaErrors(httpTemplate)).toEqual([]);
    expect(Object.values(httpTemplate.Resources).filter((resource) => resource.Type.startsWith('AWS::ApiGateway::'))).toEqual([]);
  });

  it('has every route of the REST API, each guarded by the authorizer exactly where the REST route is (never open)', () => {
    const routes = Object.fromEntries(
      ofHttpType('AWS::ApiGatewayV2::Route').map((route) => [route.Properties.RouteKey, route.Properties.AuthorizationType === 'CUSTOM']),
    );
    const rest = restRoutes(resources);
    // Both spellings of the refresh path (the framework folds their resource names into one).
    expect(rest).toMatchObject({ 'POST /api/auth/refreshtoken': false, 'POST /api/auth/refreshToken': false, 'GET /api/test/admin': true });
    expect(routes).toEqual(rest);
    for (const route of ofHttpType('AWS::ApiGatewayV2::Route').filter((r) => r.Properties.AuthorizationType === 'CUSTOM')) {
      expect({ route: route.Properties.RouteKey, authorizer: route.Properties.AuthorizerId }).toEqual({
        route: route.Properties.RouteKey,
        authorizer: { Ref: 'HttpApiAuthorizerAuthorizer' },
      });
    }
  });

  it("has no $default route: a path no route has gets the HTTP API's own 404, and no function runs for it", () => {
    const routeKeys = ofHttpType('AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey as string);
    expect(routeKeys.filter((key) => key === '$default' || key.startsWith('ANY '))).toEqual([]);
  });

  it('uses the same authorizer function with payload 2.0 and simple responses, cached in the function (no identity source)', () => {
    expect(ofHttpType('AWS::ApiGatewayV2::Authorizer').map((authorizer) => authorizer.Properties)).toEqual([
      expect.objectContaining({
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        AuthorizerResultTtlInSeconds: 0,
        IdentitySource: [],
        AuthorizerUri: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([{ 'Fn::GetAtt': ['AuthorizerLambdaFunction', 'Arn'] }])] }),
      }),
    ]);
    expect(httpTemplate.Resources.AuthorizerLambdaFunction!.Properties.Environment.Variables.AUTHORIZER_CACHE_TTL).toBe(
      resources.AuthorizerLambdaFunction!.Properties.Environment.Variables.AUTHORIZER_CACHE_TTL,
    );
  });

  it('allows the configured origin only, with credentials, the token headers and the same preflight lifetime', () => {
    expect(ofHttpType('AWS::ApiGatewayV2::Api').map((api) => api.Properties.CorsConfiguration)).toEqual([
      expect.objectContaining({
        AllowOrigins: [PROD_ORIGIN],
        AllowCredentials: true,
        AllowHeaders: ['Content-Type', 'Authorization', 'x-access-token'],
        MaxAge: 600,
      }),
    ]);
  });

  it('throttles the stage, and the public POST routes harder, as the REST stage does', () => {
    const [stage] = ofHttpType('AWS::ApiGatewayV2::Stage');
    expect(stage!.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 });
    const publicPosts = Object.entries(restRoutes(resources))
      .filter(([route, guarded]) => route.startsWith('POST ') && !guarded)
      .map(([route]) => route);
    expect(publicPosts).toHaveLength(13);
    expect(Object.keys(stage!.Properties.RouteSettings).sort()).toEqual(publicPosts.sort());
    for (const settings of Object.values(stage!.Properties.RouteSettings)) expect(settings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });

  it.each([
    [{ API_GATEWAY: 'websocket' }, 'API_GATEWAY must be one of rest, http, not "websocket"'],
    [{ API_GATEWAY: 'http', WAF_RATE_LIMIT: '2000' }, 'WAF_RATE_LIMIT needs API_GATEWAY=rest: AWS WAF cannot be attached to an HTTP API'],
  ])('refuses to package with %j', (env, message) => {
    const result = packageProd(mkdtempSync(join(tmpdir(), 'jwt-auth-package-refused-')), env);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(message);
  });
});
