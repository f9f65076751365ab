import { ConfigError, configProblems, keySource, loadConfig, localPorts } from '../../lib/shared/config';

const minimal = { TABLE_NAME: 't', SIGNING_KEY_FILE: '/k.json' };

describe('config', () => {
  it('has the contract defaults', () => {
    expect(loadConfig(minimal)).toMatchObject({
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 86400,
      refreshRotation: true,
      bcryptCost: 10,
      corsOrigins: ['http://localhost:8081'],
      authorizerCacheTtlSeconds: 30,
      authorizerCache: 'function',
      keySources: { signing: { kind: 'file', path: '/k.json' } },
      appUrl: 'http://localhost:8080/auth',
      sesFrom: 'no-reply@localhost',
      resetTokenTtlSeconds: 900,
      verifyTokenTtlSeconds: 86_400,
      requireVerifiedEmail: false,
      authCookie: true,
      authCookieSameSite: 'Lax',
      // Every stage but local (which sets jwt_session in serverless.yml) gets the prefixed name.
      authCookieName: '__Host-jwt_session',
      signupIpThreshold: 100,
      signupIpWindowSeconds: 3600,
    });
  });

  it('turns the per-IP sign-up limit off with 0', () => {
    expect(loadConfig({ ...minimal, SIGNUP_IP_THRESHOLD: '0', SIGNUP_IP_WINDOW: '60' })).toMatchObject({ signupIpThreshold: 0, signupIpWindowSeconds: 60 });
  });

  it('reads lists and switches', () => {
    const config = loadConfig({ ...minimal, CORS_ORIGIN: 'https://a.example, https://b.example', REFRESH_ROTATION: 'off' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.refreshRotation).toBe(false);
    const strict = loadConfig({ ...minimal, REQUIRE_VERIFIED_EMAIL: 'on', APP_URL: 'https://app.example.com/' });
    expect(strict.requireVerifiedEmail).toBe(true);
    // Links are built as `${APP_URL}/reset-password#…`: no double slash.
    expect(strict.appUrl).toBe('https://app.example.com');
    // Without APP_URL, the links open the hosted pages under SERVICE_URL (with its stage path).
    expect(loadConfig({ ...minimal, SERVICE_URL: 'https://abc.execute-api.us-east-1.amazonaws.com/prod/' }).appUrl).toBe(
      'https://abc.execute-api.us-east-1.amazonaws.com/prod/auth',
    );
  });

  it("takes the local stage's unprefixed cookie name", () => {
    expect(loadConfig({ ...minimal, AUTH_COOKIE_NAME: 'jwt_session' }).authCookieName).toBe('jwt_session');
  });

  it('prefers the SSM parameter name on deployed stages', () => {
    expect(loadConfig({ ...minimal, SIGNING_KEY_PARAM: '/svc/prod/keys' }).keySources.signing).toEqual({ kind: 'ssm', parameterName: '/svc/prod/keys' });
  });

  it('names each key part apart, and a part a function was not given is no part of its config', () => {
    const verifier = loadConfig({ TABLE_NAME: 't', PUBLIC_KEYS_PARAM: '/svc/prod/public-keys', SIGNING_KEY_PARAM: '' });
    expect(verifier.keySources).toEqual({ public: { kind: 'ssm', parameterName: '/svc/prod/public-keys' } });
    expect(() => keySource(verifier, 'signing')).toThrow(
      new ConfigError('this function may not read the signing key part: set SIGNING_KEY_PARAM (or SIGNING_KEYS, or SIGNING_KEY_FILE) for it'),
    );
    expect(loadConfig({ TABLE_NAME: 't', DATA_KEY_FILE: '/d', CURSOR_KEY: 'c' }).keySources).toEqual({
      dataKey: { kind: 'file', path: '/d' },
      cursorKey: { kind: 'inline', value: 'c' },
    });
  });

  it.each([
    [{ SIGNING_KEY_FILE: '/k' }, 'TABLE_NAME must be set'],
    [{ ...minimal, BCRYPT_COST: '3' }, 'BCRYPT_COST=3 is out of range: 4..15 (log2 rounds)'],
    [{ ...minimal, ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL=soon is not a whole number: 10..86400 (seconds)'],
    [{ ...minimal, REFRESH_ROTATION: 'maybe' }, 'REFRESH_ROTATION=maybe is not one of: on, off'],
    [{ ...minimal, RESET_TOKEN_TTL: '30' }, 'RESET_TOKEN_TTL=30 is out of range: 60..86400 (seconds)'],
    [{ ...minimal, SIGNUP_IP_THRESHOLD: '-1' }, 'SIGNUP_IP_THRESHOLD=-1 is out of range: 0..1000000 (sign-ups, 0: no limit)'],
    [{ ...minimal, SIGNUP_IP_WINDOW: '0' }, 'SIGNUP_IP_WINDOW=0 is out of range: 1..86400 (seconds)'],
    [{ ...minimal, AUTH_COOKIE_SAMESITE: 'loose' }, 'AUTH_COOKIE_SAMESITE=loose is not one of: Lax, Strict, None'],
    [{ ...minimal, AUTHORIZER_CACHE: 'edge' }, 'AUTHORIZER_CACHE=edge is not one of: function, gateway'],
    [{ ...minimal, AUTH_COOKIE_NAME: 'session' }, 'AUTH_COOKIE_NAME=session is not one of: __Host-jwt_session, jwt_session'],
  ])('fails at load for %j', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(expected));
  });

  it('names every bad variable at once, one line each, in the order they are read', () => {
    const env = { SIGNING_KEY_FILE: '/k', ACCESS_TOKEN_TTL: '5', AUTH_COOKIE: 'sometimes', EMAIL_IP_THRESHOLD: '1e9' };
    expect(configProblems(() => loadConfig(env))).toEqual([
      'TABLE_NAME must be set',
      'ACCESS_TOKEN_TTL=5 is out of range: 10..86400 (seconds)',
      'EMAIL_IP_THRESHOLD=1e9 is out of range: 1..1000000 (requests)',
      'AUTH_COOKIE=sometimes is not one of: on, off',
    ]);
    expect(() => loadConfig(env)).toThrow(/^TABLE_NAME must be set\nACCESS_TOKEN_TTL=5 /);
    expect(configProblems(() => loadConfig(minimal))).toEqual([]);
    expect(configProblems(() => localPorts({ PORT: '80', SES_PORT: 'http' }))).toEqual(['SES_PORT=http is not a whole number: 1..65535 (port)']);
  });
});
