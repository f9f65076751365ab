import { ConfigError, loadConfig } from '../../lib/shared/config';

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
      signingKeys: { kind: 'file', path: '/k.json' },
      appUrl: 'http://localhost:8081',
      sesFrom: 'no-reply@localhost',
      resetTokenTtlSeconds: 900,
      verifyTokenTtlSeconds: 86_400,
      requireVerifiedEmail: false,
      authCookie: true,
      authCookieSameSite: 'Lax',
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

  it('prefers the SSM parameter name on deployed stages', () => {
    expect(loadConfig({ ...minimal, SIGNING_KEY_PARAM: '/svc/prod/keys' }).signingKeys).toEqual({ kind: 'ssm', parameterName: '/svc/prod/keys' });
  });

  it.each([
    [{ SIGNING_KEY_FILE: '/k' }, 'TABLE_NAME must be set'],
    [{ TABLE_NAME: 't' }, 'one of SIGNING_KEY_PARAM, SIGNING_KEYS or SIGNING_KEY_FILE must be set'],
    [{ ...minimal, BCRYPT_COST: '3' }, 'BCRYPT_COST must be an integer from 4 to 15, got "3"'],
    [{ ...minimal, ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL must be an integer from 10 to 86400, got "soon"'],
    [{ ...minimal, REFRESH_ROTATION: 'maybe' }, 'REFRESH_ROTATION must be "on" or "off", got "maybe"'],
    [{ ...minimal, RESET_TOKEN_TTL: '30' }, 'RESET_TOKEN_TTL must be an integer from 60 to 86400, got "30"'],
    [{ ...minimal, SIGNUP_IP_THRESHOLD: '-1' }, 'SIGNUP_IP_THRESHOLD must be an integer from 0 to 1000000, got "-1"'],
    [{ ...minimal, SIGNUP_IP_WINDOW: '0' }, 'SIGNUP_IP_WINDOW must be an integer from 1 to 86400, got "0"'],
    [{ ...minimal, AUTH_COOKIE_SAMESITE: 'loose' }, 'AUTH_COOKIE_SAMESITE must be one of Lax, Strict, None, got "loose"'],
  ])('fails at load for %j', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(expected));
  });
});
