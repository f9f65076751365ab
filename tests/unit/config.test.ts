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
    });
  });

  it('reads lists and switches', () => {
    const config = loadConfig({ ...minimal, CORS_ORIGIN: 'https://a.example, https://b.example', REFRESH_ROTATION: 'off' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.refreshRotation).toBe(false);
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
  ])('fails at load for %j', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(expected));
  });
});
