import { ConfigError, keySource, loadConfig } from '../../lib/shared/config';

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
      appUrl: 'http://localhost:8081',
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
    [{ ...minimal, BCRYPT_COST: '3' }, 'BCRYPT_COST must be an integer from 4 to 15, got "3"'],
    [{ ...minimal, ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL must be an integer from 10 to 86400, got "soon"'],
    [{ ...minimal, REFRESH_ROTATION: 'maybe' }, 'REFRESH_ROTATION must be "on" or "off", got "maybe"'],
    [{ ...minimal, RESET_TOKEN_TTL: '30' }, 'RESET_TOKEN_TTL must be an integer from 60 to 86400, got "30"'],
    [{ ...minimal, SIGNUP_IP_THRESHOLD: '-1' }, 'SIGNUP_IP_THRESHOLD must be an integer from 0 to 1000000, got "-1"'],
    [{ ...minimal, SIGNUP_IP_WINDOW: '0' }, 'SIGNUP_IP_WINDOW must be an integer from 1 to 86400, got "0"'],
    [{ ...minimal, AUTH_COOKIE_SAMESITE: 'loose' }, 'AUTH_COOKIE_SAMESITE must be one of Lax, Strict, None, got "loose"'],
    [{ ...minimal, AUTHORIZER_CACHE: 'edge' }, 'AUTHORIZER_CACHE must be one of function, gateway, got "edge"'],
    [{ ...minimal, AUTH_COOKIE_NAME: 'session' }, 'AUTH_COOKIE_NAME must be one of __Host-jwt_session, jwt_session, got "session"'],
  ])('fails at load for %j', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(expected));
  });
});
