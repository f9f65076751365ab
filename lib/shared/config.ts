import * as z from 'zod/mini';
/**
 * Where settings are read from the environment: the functions' configuration (loadConfig) and the local
 * stack's ports for `npm start` and the operator scripts (localPorts). Outside this file only what the
 * runtime provides is read: the function role's credentials (lib/store/live-session.ts, per call: they
 * rotate) and Powertools' service name (lib/shared/log.ts). Every value is parsed once per cold start; a
 * missing or malformed value fails the cold start with a message that names the variable, never later in a request.
 */
export interface Config {
  tableName: string;
  region: string;
  /** Set only for DynamoDB Local; deployed stages use the regional endpoint. */
  dynamodbEndpoint: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshRotation: boolean;
  bcryptCost: number;
  corsOrigins: string[];
  issuer: string;
  audience: string;
  /**
   * Where each key part comes from, for the parts this function may read (serverless.yml gives each
   * function only the names of its own parts): absent means "not this function's to read".
   */
  keySources: Partial<Record<KeyPart, KeySource>>;
  /** How long the authorizer trusts a verified token before verifying it again (the revocation bound). */
  authorizerCacheTtlSeconds: number;
  /**
   * Who caches the authorizer's decisions: the function, or API Gateway (keyed by the Authorization
   * header alone, so the authorizer must then decide from that header alone).
   */
  authorizerCache: 'function' | 'gateway';
  /** Sign-in attempts allowed per username within the lockout window; the next ones get 429. */
  lockoutThreshold: number;
  /** Sign-in attempts allowed per source IP within the lockout window, over all usernames. */
  lockoutIpThreshold: number;
  lockoutWindowSeconds: number;
  /** How long a warm container uses its signing key set before reading it again (key rotation bound). */
  keySetMaxAgeSeconds: number;
  /** The issuer name authenticator apps show beside the account (the otpauth:// URL). */
  mfaIssuer: string;
  /** How long security events are kept (their TTL). */
  eventsTtlSeconds: number;
  /** The product name emails are signed with. */
  productName: string;
  /**
   * The front-end the links in emails point at (`${appUrl}/reset-password#token=…`): APP_URL, or the
   * hosted pages (`${serviceUrl}/auth`) when it is unset.
   */
  appUrl: string;
  /** The sender address of every email (a verified SES identity on deployed stages). */
  sesFrom: string;
  /** Set only for the local SES emulator; deployed stages use the regional endpoint. */
  sesEndpoint: string | undefined;
  /** The function that sends mail, invoked asynchronously by every request that causes a mail. */
  mailerFunction: string;
  /** Set only for serverless-offline's Lambda endpoint; deployed stages use the regional one. */
  lambdaEndpoint: string | undefined;
  resetTokenTtlSeconds: number;
  verifyTokenTtlSeconds: number;
  /** Refuse sign-in (after a correct password) until the email address is verified. */
  requireVerifiedEmail: boolean;
  /** Mail requests (forgot, resend) allowed per source IP within `emailIpWindowSeconds`; then 429. */
  emailIpThreshold: number;
  emailIpWindowSeconds: number;
  /** Sign-ups allowed per source IP within `signupIpWindowSeconds`; then 429. 0: no limit. */
  signupIpThreshold: number;
  signupIpWindowSeconds: number;
  /** Sign-in also sets an HttpOnly session cookie that protected routes accept (browser clients). */
  authCookie: boolean;
  /** The cookie's SameSite: Lax (default), Strict, or None (an API on another site than the front-end). */
  authCookieSameSite: 'Lax' | 'Strict' | 'None';
  /** The session cookie's name, set per stage by serverless.yml (see SESSION_COOKIE_NAMES). */
  authCookieName: SessionCookieName;
  /** The WebAuthn relying party id passkeys are bound to: the site's domain (an origin's host or a parent of it). */
  webauthnRpId: string;
  /** The name authenticators show beside a passkey. */
  webauthnRpName: string;
  /** The page origins a passkey ceremony may come from (the browser reports it; anything else is refused). */
  webauthnOrigins: string[];
  /** The OpenID providers users may sign in with (OIDC_PROVIDERS); their client secrets are a secret source apart. */
  oidcProviders: OidcProvider[];
  /** Where the providers' client secrets come from (a JSON object by provider id): absent when no provider is set. */
  oidcClientSecrets: KeySource | undefined;
  /**
   * The front-end pages a social sign-in may return to, and the app URLs a hosted page may send the
   * browser to after sign-in: an exact-match allow-list (no open redirect). The hosted pages' own return
   * page (`${serviceUrl}/auth/oauth-callback`) is always on it.
   */
  oauthRedirectUrls: string[];
  /**
   * The service's public base URL (with a stage path, if any): where the hosted pages are
   * (`/auth/…`), and where the providers send the browser back (`/api/auth/oauth/{id}/callback`).
   */
  serviceUrl: string;
}

/** An OpenID provider as configured (OIDC_PROVIDERS): discovered from its issuer at first use. */
export interface OidcProvider {
  /** The path segment and the identities' provider name: lower-case letters, digits and dashes. */
  id: string;
  /** What a sign-in page shows on its button. */
  name: string;
  issuer: string;
  clientId: string;
  scopes: string[];
}

/**
 * The session cookie's names. Deployed (HTTPS) stages use the `__Host-` prefix: browsers keep such a
 * cookie only if it is Secure, has Path=/ and no Domain, so a sibling subdomain cannot plant (toss) one
 * for our host. The local stage on plain-http loopback keeps `jwt_session`: a `__Host-` cookie needs
 * Secure, which plain http cannot carry. Exactly the name in force is read; the other is ignored.
 */
export const SESSION_COOKIE_NAMES = ['__Host-jwt_session', 'jwt_session'] as const;
export type SessionCookieName = (typeof SESSION_COOKIE_NAMES)[number];

/**
 * The four key parts, kept apart so that each function holds only what it uses (docs/deploy.md, "Keys"): the
 * private signing keys (functions that issue tokens), the public key set (everything that verifies),
 * the data key that seals TOTP secrets (MFA functions), and the page cursors' HMAC key (paged lists).
 */
export type KeyPart = 'signing' | 'public' | 'dataKey' | 'cursorKey';

/** Where a key part comes from: inline (tests), a file (local stage) or an SSM parameter (AWS). */
export type KeySource = { kind: 'inline'; value: string } | { kind: 'file'; path: string } | { kind: 'ssm'; parameterName: string };

/** The environment variables that name each part's source, in the order they are preferred. */
export const KEY_PART_VARIABLES: Record<KeyPart, { param: string; inline: string; file: string }> = {
  signing: { param: 'SIGNING_KEY_PARAM', inline: 'SIGNING_KEYS', file: 'SIGNING_KEY_FILE' },
  public: { param: 'PUBLIC_KEYS_PARAM', inline: 'PUBLIC_KEYS', file: 'PUBLIC_KEYS_FILE' },
  dataKey: { param: 'DATA_KEY_PARAM', inline: 'DATA_KEY', file: 'DATA_KEY_FILE' },
  cursorKey: { param: 'CURSOR_KEY_PARAM', inline: 'CURSOR_KEY', file: 'CURSOR_KEY_FILE' },
};

/**
 * A configuration that cannot be used. `problems` holds one line per bad variable (`NAME=value is out of
 * range: 10..86400 (seconds)`), all of them, so a start can name every one at once; the message joins them.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const lines = typeof problems === 'string' ? [problems] : problems;
    super(lines.join('\n'));
    this.problems = lines;
  }
}

type Env = Record<string, string | undefined>;

/** A whole-number setting: its default and the range loadConfig accepts (docs/configuration.md lists them). */
export interface IntegerSetting {
  fallback: number;
  min: number;
  max: number;
  unit: string;
}

/** Every whole-number variable, with its default and bounds: the one source of both. */
export const INTEGER_SETTINGS = {
  ACCESS_TOKEN_TTL: { fallback: 900, min: 10, max: 86_400, unit: 'seconds' },
  REFRESH_TOKEN_TTL: { fallback: 86_400, min: 10, max: 31_536_000, unit: 'seconds' },
  // bcryptjs accepts 4..31; above 15 a sign-in takes seconds, which is a self-inflicted outage.
  BCRYPT_COST: { fallback: 10, min: 4, max: 15, unit: 'log2 rounds' },
  AUTHORIZER_CACHE_TTL: { fallback: 30, min: 0, max: 3600, unit: 'seconds' },
  LOCKOUT_THRESHOLD: { fallback: 5, min: 1, max: 1000, unit: 'attempts' },
  LOCKOUT_IP_THRESHOLD: { fallback: 100, min: 1, max: 1_000_000, unit: 'attempts' },
  LOCKOUT_WINDOW: { fallback: 900, min: 1, max: 86_400, unit: 'seconds' },
  KEY_SET_MAX_AGE: { fallback: 60, min: 1, max: 86_400, unit: 'seconds' },
  EVENTS_TTL: { fallback: 90 * 86_400, min: 3600, max: 3 * 365 * 86_400, unit: 'seconds' },
  RESET_TOKEN_TTL: { fallback: 900, min: 60, max: 86_400, unit: 'seconds' },
  VERIFY_TOKEN_TTL: { fallback: 86_400, min: 60, max: 30 * 86_400, unit: 'seconds' },
  EMAIL_IP_THRESHOLD: { fallback: 20, min: 1, max: 1_000_000, unit: 'requests' },
  EMAIL_IP_WINDOW: { fallback: 3600, min: 1, max: 86_400, unit: 'seconds' },
  SIGNUP_IP_THRESHOLD: { fallback: 100, min: 0, max: 1_000_000, unit: 'sign-ups, 0: no limit' },
  SIGNUP_IP_WINDOW: { fallback: 3600, min: 1, max: 86_400, unit: 'seconds' },
  PORT: { fallback: 8080, min: 1, max: 65_535, unit: 'port' },
  DYNAMODB_PORT: { fallback: 8000, min: 1, max: 65_535, unit: 'port' },
  LAMBDA_PORT: { fallback: 3002, min: 1, max: 65_535, unit: 'port' },
  SES_PORT: { fallback: 8005, min: 1, max: 65_535, unit: 'port' },
  OIDC_DEV_PORT: { fallback: 8006, min: 1, max: 65_535, unit: 'port' },
} as const satisfies Record<string, IntegerSetting>;

/** Every variable that takes one of a few values (matched without regard to case), with its default. */
export const CHOICE_SETTINGS = {
  AUTHORIZER_CACHE: { fallback: 'function', values: ['function', 'gateway'] },
  AUTH_COOKIE_SAMESITE: { fallback: 'Lax', values: ['Lax', 'Strict', 'None'] },
  // The prefixed name unless a stage says otherwise: only the local stage does (serverless.yml params).
  AUTH_COOKIE_NAME: { fallback: '__Host-jwt_session', values: SESSION_COOKIE_NAMES },
} as const satisfies Record<string, { fallback: string; values: readonly string[] }>;

/** The on/off switches and their defaults; `true`/`1` and `false`/`0` are accepted too. */
export const SWITCH_SETTINGS = {
  REFRESH_ROTATION: true,
  REQUIRE_VERIFIED_EMAIL: false,
  AUTH_COOKIE: true,
} as const satisfies Record<string, boolean>;

/**
 * Reads variables from one environment, noting every bad one (and answering its default meanwhile) so
 * that `done` can report them all at once.
 */
class Reader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  text(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  required(name: string): string {
    const value = this.text(name);
    if (value === undefined) this.problems.push(`${name} must be set`);
    return value ?? '';
  }

  integer(name: keyof typeof INTEGER_SETTINGS): number {
    const { fallback, min, max, unit } = INTEGER_SETTINGS[name] as IntegerSetting;
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= min && value <= max) return value;
    this.problems.push(`${name}=${raw} is ${Number.isInteger(value) ? 'out of range' : 'not a whole number'}: ${min}..${max} (${unit})`);
    return fallback;
  }

  onOff(name: keyof typeof SWITCH_SETTINGS): boolean {
    const raw = this.text(name);
    if (raw === undefined) return SWITCH_SETTINGS[name];
    if (['on', 'true', '1'].includes(raw.toLowerCase())) return true;
    if (['off', 'false', '0'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name}=${raw} is not one of: on, off`);
    return SWITCH_SETTINGS[name];
  }

  oneOf<N extends keyof typeof CHOICE_SETTINGS>(name: N): (typeof CHOICE_SETTINGS)[N]['values'][number] {
    const { fallback, values } = CHOICE_SETTINGS[name];
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const match = values.find((value) => value.toLowerCase() === raw.toLowerCase());
    if (match === undefined) this.problems.push(`${name}=${raw} is not one of: ${values.join(', ')}`);
    return match ?? fallback;
  }

  /** A problem found by a check of several variables together. */
  problem(line: string): void {
    this.problems.push(line);
  }

  /** The value read, or a ConfigError naming every bad variable, one line each. */
  done<T>(value: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return value;
  }
}

function keySources(reader: Reader): Partial<Record<KeyPart, KeySource>> {
  const sources: Partial<Record<KeyPart, KeySource>> = {};
  for (const [part, names] of Object.entries(KEY_PART_VARIABLES) as [KeyPart, (typeof KEY_PART_VARIABLES)[KeyPart]][]) {
    const source = secretSource(reader, names);
    if (source) sources[part] = source;
  }
  return sources;
}

/** A secret's source from its three variables: an SSM parameter first, then the value inline, then a file. */
function secretSource(reader: Reader, names: { param: string; inline: string; file: string }): KeySource | undefined {
  const parameterName = reader.text(names.param);
  const value = reader.text(names.inline);
  const path = reader.text(names.file);
  if (parameterName) return { kind: 'ssm', parameterName };
  if (value) return { kind: 'inline', value };
  if (path) return { kind: 'file', path };
  return undefined;
}

/** The OpenID providers' client secrets: one JSON object `{ "<provider id>": "<secret>" }`, kept like the key parts. */
export const OIDC_SECRET_VARIABLES = { param: 'OIDC_CLIENT_SECRETS_PARAM', inline: 'OIDC_CLIENT_SECRETS', file: 'OIDC_CLIENT_SECRETS_FILE' };

const providerSchema = z.object({
  id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,31}$/)),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  issuer: z.string().check(z.minLength(1)),
  clientId: z.string().check(z.minLength(1), z.maxLength(256)),
  scopes: z.optional(z.array(z.string().check(z.regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/)))),
});

/**
 * OIDC_PROVIDERS: a JSON list of `{id, name?, issuer, clientId, scopes?}`. Issuers are https, or plain http
 * on loopback only (the local provider `dev`): a provider's keys and tokens must not cross a network in the
 * clear. `openid` is always among the scopes (default: openid, email, profile).
 */
function oidcProviders(r: Reader): OidcProvider[] {
  const raw = r.text('OIDC_PROVIDERS');
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    r.problem('OIDC_PROVIDERS is not JSON: a list of {"id","name","issuer","clientId","scopes"}');
    return [];
  }
  const result = z.array(providerSchema).safeParse(parsed);
  if (!result.success) {
    r.problem(`OIDC_PROVIDERS is not a list of {id (a-z, 0-9, -), name?, issuer, clientId, scopes?}: ${result.error.issues[0]?.path.join('.') || 'the list'}`);
    return [];
  }
  const providers: OidcProvider[] = [];
  for (const entry of result.data) {
    if (providers.some((provider) => provider.id === entry.id)) r.problem(`OIDC_PROVIDERS lists the provider id "${entry.id}" twice`);
    if (!isSecureOrLoopback(entry.issuer))
      r.problem(`OIDC_PROVIDERS: the issuer of "${entry.id}" must be an https URL (plain http only on loopback), got ${entry.issuer}`);
    const scopes = entry.scopes ?? ['openid', 'email', 'profile'];
    providers.push({
      id: entry.id,
      name: entry.name ?? entry.id,
      issuer: entry.issuer,
      clientId: entry.clientId,
      scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes],
    });
  }
  return providers;
}

/** An absolute https URL, or an http one whose host is a loopback address. */
function isSecureOrLoopback(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  } catch {
    return false;
  }
}

/**
 * OAUTH_REDIRECT_URLS: the pages a social sign-in may return to, compared exactly (comma-separated absolute
 * URLs, no fragment). Default: `/oauth/callback` on each CORS origin, the front-ends a developer runs.
 * The hosted pages' return page is always allowed: it is this service's own.
 */
function oauthRedirectUrls(r: Reader, corsOrigins: string[], serviceUrl: string): string[] {
  const raw = r.text('OAUTH_REDIRECT_URLS');
  const urls =
    raw === undefined
      ? corsOrigins.map((origin) => `${origin.replace(/\/+$/, '')}/oauth/callback`)
      : raw
          .split(',')
          .map((url) => url.trim())
          .filter((url) => url !== '');
  for (const url of urls) {
    if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) r.problem(`OAUTH_REDIRECT_URLS holds ${url}, which is not an absolute http(s) URL`);
    else if (url.includes('#')) r.problem(`OAUTH_REDIRECT_URLS holds ${url}, which has a fragment (the sign-in code is sent in it)`);
  }
  const ownPage = `${serviceUrl}/auth/oauth-callback`;
  return urls.includes(ownPage) ? urls : [...urls, ownPage];
}

/** The source of a key part this function needs; a ConfigError naming the variables when it has none. */
export function keySource(config: Pick<Config, 'keySources'>, part: KeyPart): KeySource {
  const source = config.keySources[part];
  if (source) return source;
  const names = KEY_PART_VARIABLES[part];
  throw new ConfigError(`this function may not read the ${part} key part: set ${names.param} (or ${names.inline}, or ${names.file}) for it`);
}

/**
 * Parses the configuration from an environment (the process's by default). Throws a ConfigError that
 * names every bad variable, not only the first.
 */
export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const serviceUrl = (r.text('SERVICE_URL') ?? 'http://localhost:8080').replace(/\/+$/, '');
  return r.done({
    tableName: r.required('TABLE_NAME'),
    region: r.text('AWS_REGION') ?? 'us-east-1',
    dynamodbEndpoint: r.text('DYNAMODB_ENDPOINT'),
    accessTokenTtlSeconds: r.integer('ACCESS_TOKEN_TTL'),
    refreshTokenTtlSeconds: r.integer('REFRESH_TOKEN_TTL'),
    refreshRotation: r.onOff('REFRESH_ROTATION'),
    bcryptCost: r.integer('BCRYPT_COST'),
    corsOrigins: corsOriginsOf(r),
    issuer: r.text('JWT_ISSUER') ?? 'lambda-jwt-auth',
    audience: r.text('JWT_AUDIENCE') ?? 'lambda-jwt-auth-api',
    keySources: keySources(r),
    authorizerCacheTtlSeconds: r.integer('AUTHORIZER_CACHE_TTL'),
    authorizerCache: r.oneOf('AUTHORIZER_CACHE'),
    lockoutThreshold: r.integer('LOCKOUT_THRESHOLD'),
    lockoutIpThreshold: r.integer('LOCKOUT_IP_THRESHOLD'),
    lockoutWindowSeconds: r.integer('LOCKOUT_WINDOW'),
    keySetMaxAgeSeconds: r.integer('KEY_SET_MAX_AGE'),
    mfaIssuer: r.text('MFA_ISSUER') ?? 'lambda-jwt-auth',
    eventsTtlSeconds: r.integer('EVENTS_TTL'),
    productName: r.text('PRODUCT_NAME') ?? 'lambda-jwt-auth',
    appUrl: (r.text('APP_URL') ?? `${serviceUrl}/auth`).replace(/\/+$/, ''),
    sesFrom: r.text('SES_FROM') ?? 'no-reply@localhost',
    sesEndpoint: r.text('SES_ENDPOINT'),
    mailerFunction: r.text('MAILER_FUNCTION') ?? 'lambda-jwt-auth-local-mailer',
    lambdaEndpoint: r.text('LAMBDA_ENDPOINT'),
    resetTokenTtlSeconds: r.integer('RESET_TOKEN_TTL'),
    verifyTokenTtlSeconds: r.integer('VERIFY_TOKEN_TTL'),
    requireVerifiedEmail: r.onOff('REQUIRE_VERIFIED_EMAIL'),
    emailIpThreshold: r.integer('EMAIL_IP_THRESHOLD'),
    emailIpWindowSeconds: r.integer('EMAIL_IP_WINDOW'),
    signupIpThreshold: r.integer('SIGNUP_IP_THRESHOLD'),
    signupIpWindowSeconds: r.integer('SIGNUP_IP_WINDOW'),
    authCookie: r.onOff('AUTH_COOKIE'),
    authCookieSameSite: r.oneOf('AUTH_COOKIE_SAMESITE'),
    authCookieName: r.oneOf('AUTH_COOKIE_NAME'),
    ...webauthnSettings(r, serviceUrl),
    oidcProviders: oidcProviders(r),
    oidcClientSecrets: secretSource(r, OIDC_SECRET_VARIABLES),
    oauthRedirectUrls: oauthRedirectUrls(r, corsOriginsOf(r), serviceUrl),
    serviceUrl,
  });
}

function corsOriginsOf(r: Reader): string[] {
  return (r.text('CORS_ORIGIN') ?? 'http://localhost:8081')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
}

/**
 * WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS. Locally `localhost` and the CORS origins under
 * it (the front-ends a developer runs); deployed stages must set the id and origins
 * (deploy/config/webauthn.cjs). Every origin listed must be an http(s) origin whose host is the id or
 * under it: a browser refuses a ceremony for any other id, so a mismatch is a configuration error, found
 * at cold start, not at a user's sign-in. The service's own origin (its hosted pages) is added when its
 * host fits the id.
 */
function webauthnSettings(r: Reader, serviceUrl: string): Pick<Config, 'webauthnRpId' | 'webauthnRpName' | 'webauthnOrigins'> {
  const rpId = (r.text('WEBAUTHN_RP_ID') ?? 'localhost').toLowerCase();
  const fits = (host: string | undefined) => host !== undefined && (host === rpId || host.endsWith(`.${rpId}`));
  const listed = r.text('WEBAUTHN_ORIGINS');
  const origins = (listed ?? r.text('CORS_ORIGIN') ?? 'http://localhost:8081')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin !== '');
  const name = r.text('WEBAUTHN_RP_NAME') ?? r.text('PRODUCT_NAME') ?? 'lambda-jwt-auth';
  const own = URL.canParse(serviceUrl) ? new URL(serviceUrl).origin : undefined;
  const withOwn = (list: string[]) => (own !== undefined && fits(originHost(own)) && !list.includes(own) ? [...list, own] : list);
  // Unset: the CORS origins a ceremony can come from (a browser refuses one for a foreign id), without a word.
  if (listed === undefined) return { webauthnRpId: rpId, webauthnRpName: name, webauthnOrigins: withOwn(origins.filter((origin) => fits(originHost(origin)))) };
  for (const origin of origins) {
    const host = originHost(origin);
    if (host === undefined) r.problem(`WEBAUTHN_ORIGINS=${listed} holds ${origin}, which is not an http(s) origin (e.g. https://app.example.com)`);
    else if (!fits(host)) r.problem(`WEBAUTHN_ORIGINS=${listed} holds ${origin}, whose host is not WEBAUTHN_RP_ID=${rpId} nor under it`);
  }
  return { webauthnRpId: rpId, webauthnRpName: name, webauthnOrigins: withOwn(origins) };
}

/** The host of an http(s) origin (scheme, host, optional port, nothing else), or undefined. */
function originHost(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) return undefined;
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Where the local stack (`npm start`) listens, all on 127.0.0.1. */
export interface LocalPorts {
  /** serverless-offline's API (PORT). */
  api: number;
  /** DynamoDB Local (DYNAMODB_PORT). */
  dynamodb: number;
  /** serverless-offline's Lambda invoke endpoint (LAMBDA_PORT). */
  lambda: number;
  /** The SES emulator (SES_PORT). */
  ses: number;
  /** The local OpenID provider `dev` (OIDC_DEV_PORT; scripts/oidc-dev.ts). */
  oidc: number;
}

/**
 * The local stack's ports: the one reading of PORT, DYNAMODB_PORT, LAMBDA_PORT, SES_PORT and OIDC_DEV_PORT, shared by
 * `npm start` and every operator script aimed at the local stage, so a script finds the stack the
 * developer started and never another one on a default port. Throws ConfigError.
 */
export function localPorts(env: Env = process.env): LocalPorts {
  const r = new Reader(env);
  return r.done({
    api: r.integer('PORT'),
    dynamodb: r.integer('DYNAMODB_PORT'),
    lambda: r.integer('LAMBDA_PORT'),
    ses: r.integer('SES_PORT'),
    oidc: r.integer('OIDC_DEV_PORT'),
  });
}

/** The lines of a ConfigError that `read` throws (every bad variable), or none when it reads cleanly. */
export function configProblems(read: () => unknown): string[] {
  try {
    read();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use (at cold start, since handlers call it at module scope). */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
