import { isEmailVerified, usernameFor } from '../../lib/federation/accounts';
import { callbackUrl } from '../../lib/federation/flow';
import { configProblems, loadConfig } from '../../lib/shared/config';

const minimal = { TABLE_NAME: 't' };
const provider = { id: 'google', issuer: 'https://accounts.google.com', clientId: 'abc.apps.googleusercontent.com' };
const providers = (list: unknown) => loadConfig({ ...minimal, OIDC_PROVIDERS: JSON.stringify(list) }).oidcProviders;
const problems = (env: Record<string, string>) => configProblems(() => loadConfig({ ...minimal, ...env }));

describe('OIDC_PROVIDERS', () => {
  it('is none by default', () => {
    expect(loadConfig(minimal).oidcProviders).toEqual([]);
  });

  it('names each provider by its id unless given a name, with openid email profile unless given scopes (openid always among them)', () => {
    expect(providers([provider, { ...provider, id: 'corp', name: 'Corp SSO', scopes: ['email'] }])).toEqual([
      { ...provider, name: 'google', scopes: ['openid', 'email', 'profile'] },
      { ...provider, id: 'corp', name: 'Corp SSO', scopes: ['openid', 'email'] },
    ]);
  });

  it('takes plain http for a loopback issuer only (the local provider dev)', () => {
    expect(providers([{ ...provider, issuer: 'http://127.0.0.1:8006' }])[0]?.issuer).toBe('http://127.0.0.1:8006');
    expect(problems({ OIDC_PROVIDERS: JSON.stringify([{ ...provider, issuer: 'http://sso.example.com' }]) })).toEqual([
      'OIDC_PROVIDERS: the issuer of "google" must be an https URL (plain http only on loopback), got http://sso.example.com',
    ]);
  });

  it.each([
    ['not JSON', '[{', 'OIDC_PROVIDERS is not JSON: a list of {"id","name","issuer","clientId","scopes"}'],
    [
      'an id with upper case',
      JSON.stringify([{ ...provider, id: 'Google' }]),
      'OIDC_PROVIDERS is not a list of {id (a-z, 0-9, -), name?, issuer, clientId, scopes?}: 0.id',
    ],
    [
      'no client id',
      JSON.stringify([{ id: 'g', issuer: provider.issuer }]),
      'OIDC_PROVIDERS is not a list of {id (a-z, 0-9, -), name?, issuer, clientId, scopes?}: 0.clientId',
    ],
    ['one id twice', JSON.stringify([provider, provider]), 'OIDC_PROVIDERS lists the provider id "google" twice'],
  ])('refuses %s, naming the variable', (_, value, line) => {
    expect(problems({ OIDC_PROVIDERS: value })).toEqual([line]);
  });
});

describe('OAUTH_REDIRECT_URLS', () => {
  it("defaults to /oauth/callback on each CORS origin, and always holds the hosted pages' return page", () => {
    expect(loadConfig({ ...minimal, CORS_ORIGIN: 'http://localhost:8081,https://app.example.com' }).oauthRedirectUrls).toEqual([
      'http://localhost:8081/oauth/callback',
      'https://app.example.com/oauth/callback',
      'http://localhost:8080/auth/oauth-callback',
    ]);
    const listed = (value: string) => loadConfig({ ...minimal, SERVICE_URL: 'https://auth.example.com/prod/', OAUTH_REDIRECT_URLS: value }).oauthRedirectUrls;
    expect(listed('https://app.example.com/cb')).toEqual(['https://app.example.com/cb', 'https://auth.example.com/prod/auth/oauth-callback']);
    expect(listed('https://auth.example.com/prod/auth/oauth-callback')).toEqual(['https://auth.example.com/prod/auth/oauth-callback']);
  });

  it('refuses a relative URL and one with a fragment (the code is sent in it)', () => {
    expect(problems({ OAUTH_REDIRECT_URLS: '/oauth/callback,https://app.example.com/cb#x' })).toEqual([
      'OAUTH_REDIRECT_URLS holds /oauth/callback, which is not an absolute http(s) URL',
      'OAUTH_REDIRECT_URLS holds https://app.example.com/cb#x, which has a fragment (the sign-in code is sent in it)',
    ]);
  });
});

describe("a provider's email_verified", () => {
  it.each([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
    [undefined, false],
    [1, false],
    ['yes', false],
  ])('%p is verified: %p', (value, verified) => {
    expect(isEmailVerified(value)).toBe(verified);
  });
});

describe('the username of a new federated account', () => {
  it("is the email's local part within the username rules, then with a random suffix", () => {
    expect(usernameFor('Ada.Lovelace+news@example.com', 0)).toBe('Ada.Lovelacenews');
    expect(usernameFor('Ada.Lovelace@example.com', 1)).toMatch(/^Ada\.Lovelace-[0-9a-f]{6}$/);
    expect(usernameFor('ab@example.com', 0)).toBe('userab');
    expect(usernameFor(`${'x'.repeat(40)}@example.com`, 3)).toMatch(/^x{24}-[0-9a-f]{6}$/);
  });
});

describe('the callback URL registered with a provider', () => {
  it("is the service's own, by provider id", () => {
    expect(callbackUrl({ serviceUrl: 'https://api.example.com' }, 'google')).toBe('https://api.example.com/api/auth/oauth/google/callback');
  });
});
