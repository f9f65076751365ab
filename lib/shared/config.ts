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
  /** The front-end the links in emails point at (`${appUrl}/reset-password#token=…`). */
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function required(env: Env, name: string): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(`${name} must be set`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['on', 'true', '1'].includes(raw)) return true;
  if (['off', 'false', '0'].includes(raw)) return false;
  throw new ConfigError(`${name} must be "on" or "off", got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const match = values.find((value) => value.toLowerCase() === raw.toLowerCase());
  if (!match) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return match;
}

function keySources(env: Env): Partial<Record<KeyPart, KeySource>> {
  const sources: Partial<Record<KeyPart, KeySource>> = {};
  for (const [part, names] of Object.entries(KEY_PART_VARIABLES) as [KeyPart, (typeof KEY_PART_VARIABLES)[KeyPart]][]) {
    const parameterName = read(env, names.param);
    const value = read(env, names.inline);
    const path = read(env, names.file);
    if (parameterName) sources[part] = { kind: 'ssm', parameterName };
    else if (value) sources[part] = { kind: 'inline', value };
    else if (path) sources[part] = { kind: 'file', path };
  }
  return sources;
}

/** The source of a key part this function needs; a ConfigError naming the variables when it has none. */
export function keySource(config: Pick<Config, 'keySources'>, part: KeyPart): KeySource {
  const source = config.keySources[part];
  if (source) return source;
  const names = KEY_PART_VARIABLES[part];
  throw new ConfigError(`this function may not read the ${part} key part: set ${names.param} (or ${names.inline}, or ${names.file}) for it`);
}

/** Parses the configuration from an environment (the process's by default). Throws ConfigError. */
export function loadConfig(env: Env = process.env): Config {
  return {
    tableName: required(env, 'TABLE_NAME'),
    region: read(env, 'AWS_REGION') ?? 'us-east-1',
    dynamodbEndpoint: read(env, 'DYNAMODB_ENDPOINT'),
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL', 900, 10, 86_400),
    refreshTokenTtlSeconds: integer(env, 'REFRESH_TOKEN_TTL', 86_400, 10, 31_536_000),
    refreshRotation: onOff(env, 'REFRESH_ROTATION', true),
    // bcryptjs accepts 4..31; above 15 a sign-in takes seconds, which is a self-inflicted outage.
    bcryptCost: integer(env, 'BCRYPT_COST', 10, 4, 15),
    corsOrigins: (read(env, 'CORS_ORIGIN') ?? 'http://localhost:8081')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
    issuer: read(env, 'JWT_ISSUER') ?? 'lambda-jwt-auth',
    audience: read(env, 'JWT_AUDIENCE') ?? 'lambda-jwt-auth-api',
    keySources: keySources(env),
    authorizerCacheTtlSeconds: integer(env, 'AUTHORIZER_CACHE_TTL', 30, 0, 3600),
    authorizerCache: oneOf(env, 'AUTHORIZER_CACHE', ['function', 'gateway'] as const, 'function'),
    lockoutThreshold: integer(env, 'LOCKOUT_THRESHOLD', 5, 1, 1000),
    lockoutIpThreshold: integer(env, 'LOCKOUT_IP_THRESHOLD', 100, 1, 1_000_000),
    lockoutWindowSeconds: integer(env, 'LOCKOUT_WINDOW', 900, 1, 86_400),
    keySetMaxAgeSeconds: integer(env, 'KEY_SET_MAX_AGE', 60, 1, 86_400),
    mfaIssuer: read(env, 'MFA_ISSUER') ?? 'lambda-jwt-auth',
    eventsTtlSeconds: integer(env, 'EVENTS_TTL', 90 * 86_400, 3600, 3 * 365 * 86_400),
    productName: read(env, 'PRODUCT_NAME') ?? 'lambda-jwt-auth',
    appUrl: (read(env, 'APP_URL') ?? 'http://localhost:8081').replace(/\/+$/, ''),
    sesFrom: read(env, 'SES_FROM') ?? 'no-reply@localhost',
    sesEndpoint: read(env, 'SES_ENDPOINT'),
    mailerFunction: read(env, 'MAILER_FUNCTION') ?? 'lambda-jwt-auth-local-mailer',
    lambdaEndpoint: read(env, 'LAMBDA_ENDPOINT'),
    resetTokenTtlSeconds: integer(env, 'RESET_TOKEN_TTL', 900, 60, 86_400),
    verifyTokenTtlSeconds: integer(env, 'VERIFY_TOKEN_TTL', 86_400, 60, 30 * 86_400),
    requireVerifiedEmail: onOff(env, 'REQUIRE_VERIFIED_EMAIL', false),
    emailIpThreshold: integer(env, 'EMAIL_IP_THRESHOLD', 20, 1, 1_000_000),
    emailIpWindowSeconds: integer(env, 'EMAIL_IP_WINDOW', 3600, 1, 86_400),
    signupIpThreshold: integer(env, 'SIGNUP_IP_THRESHOLD', 100, 0, 1_000_000),
    signupIpWindowSeconds: integer(env, 'SIGNUP_IP_WINDOW', 3600, 1, 86_400),
    authCookie: onOff(env, 'AUTH_COOKIE', true),
    authCookieSameSite: oneOf(env, 'AUTH_COOKIE_SAMESITE', ['Lax', 'Strict', 'None'] as const, 'Lax'),
    // The prefixed name unless a stage says otherwise: only the local stage does (serverless.yml params).
    authCookieName: oneOf(env, 'AUTH_COOKIE_NAME', SESSION_COOKIE_NAMES, '__Host-jwt_session'),
  };
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
}

/**
 * The local stack's ports: the one reading of PORT, DYNAMODB_PORT, LAMBDA_PORT and SES_PORT, shared by
 * `npm start` and every operator script aimed at the local stage, so a script finds the stack the
 * developer started and never another one on a default port. Throws ConfigError.
 */
export function localPorts(env: Env = process.env): LocalPorts {
  return {
    api: integer(env, 'PORT', 8080, 1, 65_535),
    dynamodb: integer(env, 'DYNAMODB_PORT', 8000, 1, 65_535),
    lambda: integer(env, 'LAMBDA_PORT', 3002, 1, 65_535),
    ses: integer(env, 'SES_PORT', 8005, 1, 65_535),
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use (at cold start, since handlers call it at module scope). */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
