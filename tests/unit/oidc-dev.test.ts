import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { freePort } from '../../scripts/local-proxy';
import { withDevProvider } from '../../scripts/local-stack';
import { type OidcDevProvider, startOidcDevProvider } from '../../scripts/oidc-dev';

// The local OpenID provider `dev`, over plain fetch: it listens on 127.0.0.1, unlike most of the unit tier.
const REDIRECT_URI = 'http://127.0.0.1:8080/api/auth/oauth/dev/callback';
let provider: OidcDevProvider;
beforeAll(async () => {
  provider = await startOidcDevProvider({ port: await freePort() });
});
afterAll(() => provider.stop());
afterEach(() => {
  provider.tamperIdToken = undefined;
  provider.codeTtlSeconds = 60;
});

interface Authorize {
  email?: string;
  verifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
  method: string;
  clientId?: string;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const someone = () => `ada-${randomUUID().slice(0, 8)}@example.com`;

/** An authorize request as the relying party sends it (PKCE S256, state, nonce), for `email` as login_hint. */
function request(overrides: Partial<Authorize> = {}): Authorize {
  return {
    email: someone(),
    verifier: randomBytes(32).toString('base64url'),
    state: randomUUID(),
    nonce: randomUUID(),
    redirectUri: REDIRECT_URI,
    method: 'S256',
    ...overrides,
  };
}

/** Sends the browser to the authorize endpoint; answers where the provider redirects it. */
async function authorize(sent: Authorize): Promise<{ status: number; location: URL; body: string }> {
  const url = new URL(`${provider.issuer}/authorize`);
  const query: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: sent.clientId ?? provider.clientId,
    redirect_uri: sent.redirectUri,
    scope: 'openid email profile',
    state: sent.state,
    nonce: sent.nonce,
    code_challenge: s256(sent.verifier),
    code_challenge_method: sent.method,
    login_hint: sent.email,
  };
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, location: new URL(response.headers.get('location') ?? 'about:blank'), body: await response.text() };
}

async function codeFor(sent: Authorize): Promise<string> {
  const { location } = await authorize(sent);
  const code = location.searchParams.get('code');
  if (code === null) throw new Error(`no code: ${location.href}`);
  return code;
}

/** The token request, authenticated with client_secret_basic unless `auth` says otherwise. */
async function exchange(
  code: string,
  sent: Authorize,
  options: { verifier?: string | null; redirectUri?: string; auth?: 'basic' | 'post'; secret?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const secret = options.secret ?? provider.clientSecret;
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: options.redirectUri ?? sent.redirectUri });
  const verifier = options.verifier === undefined ? sent.verifier : options.verifier;
  if (verifier !== null) form.set('code_verifier', verifier);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.auth === 'post') {
    form.set('client_id', provider.clientId);
    form.set('client_secret', secret);
  } else {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(provider.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }
  const response = await fetch(`${provider.issuer}/token`, { method: 'POST', headers, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function idTokenClaims(sent: Authorize, options: Parameters<typeof exchange>[2] = {}) {
  const { status, body } = await exchange(await codeFor(sent), sent, options);
  expect(status).toBe(200);
  if (typeof body.id_token !== 'string') throw new Error(`no id_token: ${JSON.stringify(body)}`);
  return decodeJwt(body.id_token);
}

describe('the local OpenID provider dev', () => {
  it('publishes its discovery document under its loopback issuer', async () => {
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: provider.issuer,
      authorization_endpoint: `${provider.issuer}/authorize`,
      token_endpoint: `${provider.issuer}/token`,
      jwks_uri: `${provider.issuer}/jwks`,
      response_types_supported: ['code'],
    });
    expect(discovery.code_challenge_methods_supported).toContain('S256');
    expect(discovery.id_token_signing_alg_values_supported).toContain('RS256');
  });

  it('signs in the login_hint with no form: a redirect with a code and the state', async () => {
    const sent = request();
    const { status, location, body } = await authorize(sent);
    expect(status).toBe(302);
    expect(body).not.toMatch(/<form/i);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe(sent.state);
    expect(location.searchParams.get('code')).toMatch(/.{16,}/);
    expect(location.searchParams.get('error')).toBeNull();
  });

  it('gives an RS256 id token, signed with a key of its JWKS, for the person and nonce asked for', async () => {
    const sent = request();
    const { status, body } = await exchange(await codeFor(sent), sent);
    expect(status).toBe(200);
    expect(body.refresh_token).toBeUndefined();
    const { payload, protectedHeader } = await jwtVerify(String(body.id_token), createRemoteJWKSet(new URL(`${provider.issuer}/jwks`)), {
      algorithms: ['RS256'],
      issuer: provider.issuer,
      audience: provider.clientId,
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ nonce: sent.nonce, email: sent.email, email_verified: true, name: sent.email?.split('@')[0] });
    expect(payload.sub).toMatch(/^dev-[0-9a-f]{16}$/);
    expect(payload.exp).toBeGreaterThan(payload.iat ?? Number.POSITIVE_INFINITY);
  });

  it('keeps one subject per email, whatever its case, and another for another email', async () => {
    const email = someone();
    const first = await idTokenClaims(request({ email }));
    const again = await idTokenClaims(request({ email: email.toUpperCase() }));
    const other = await idTokenClaims(request());
    expect(again.sub).toBe(first.sub);
    expect(other.sub).not.toBe(first.sub);
  });

  it('says an email with +unverified is not verified', async () => {
    const claims = await idTokenClaims(request({ email: `ada+unverified-${randomUUID().slice(0, 8)}@example.com` }));
    expect(claims.email_verified).toBe(false);
  });

  it('accepts the client secret in the body too (client_secret_post)', async () => {
    const sent = request();
    const claims = await idTokenClaims(sent, { auth: 'post' });
    expect(claims.email).toBe(sent.email);
  });

  it('answers the access token with the same person at userinfo', async () => {
    const sent = request();
    const { body } = await exchange(await codeFor(sent), sent);
    const claims = decodeJwt(String(body.id_token));
    const response = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: claims.sub, email: sent.email, email_verified: true, name: claims.name });
    const stranger = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: 'Bearer not-one-it-gave' } });
    expect(stranger.status).toBe(401);
  });

  it.each([
    ['no login_hint', undefined],
    ['a login_hint that is no email', 'ada'],
  ])('redirects with error=login_required and the state for %s', async (_, email) => {
    const sent = request({ email });
    const { status, location } = await authorize(sent);
    expect(status).toBe(302);
    expect(location.searchParams.get('error')).toBe('login_required');
    expect(location.searchParams.get('state')).toBe(sent.state);
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('requires PKCE with S256', async () => {
    const { location } = await authorize(request({ method: 'plain' }));
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('knows only its own client_id', async () => {
    const { location } = await authorize(request({ clientId: 'another-client' }));
    expect(location.searchParams.get('error')).toBe('unauthorized_client');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('calls tamperIdToken with the claims before signing', async () => {
    provider.tamperIdToken = (claims) => {
      claims.email_verified = 'false';
      claims.iss = 'https://elsewhere.example';
    };
    const claims = await idTokenClaims(request());
    expect(claims.email_verified).toBe('false');
    expect(claims.iss).toBe('https://elsewhere.example');
  });
});

describe('the token endpoint of dev refuses', () => {
  const refused = { status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) };

  it('a wrong code_verifier', async () => {
    const sent = request();
    expect(await exchange(await codeFor(sent), sent, { verifier: randomBytes(32).toString('base64url') })).toEqual(refused);
  });

  it('a missing code_verifier', async () => {
    const sent = request();
    expect(await exchange(await codeFor(sent), sent, { verifier: null })).toEqual(refused);
  });

  it('a code used twice', async () => {
    const sent = request();
    const code = await codeFor(sent);
    expect((await exchange(code, sent)).status).toBe(200);
    expect(await exchange(code, sent)).toEqual(refused);
  });

  it('an expired code', async () => {
    const sent = request();
    const code = await codeFor(sent);
    // Already older than a lifetime of 0 s: no waiting.
    provider.codeTtlSeconds = 0;
    expect(await exchange(code, sent)).toEqual(refused);
  });

  it('a redirect_uri other than the authorize request had', async () => {
    const sent = request();
    expect(await exchange(await codeFor(sent), sent, { redirectUri: `${REDIRECT_URI}?next=/` })).toEqual(refused);
  });

  it.each(['basic', 'post'] as const)('a wrong client secret (client_secret_%s) with 401 invalid_client', async (auth) => {
    const sent = request();
    expect(await exchange(await codeFor(sent), sent, { auth, secret: 'not-the-secret' })).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'invalid_client' }),
    });
  });

  it('a grant other than authorization_code', async () => {
    const response = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: provider.clientId, client_secret: provider.clientSecret }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });
});

describe('starting dev', () => {
  it('on a taken port fails with EADDRINUSE, so the stack can try another', async () => {
    const port = Number(new URL(provider.issuer).port);
    await expect(startOidcDevProvider({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe("the functions' environment for dev (withDevProvider)", () => {
  const dev = { issuer: 'http://127.0.0.1:8006', clientId: 'local-dev-client', clientSecret: 'local-dev-secret' };
  const devEntry = { id: 'dev', name: 'Dev (local)', issuer: dev.issuer, clientId: dev.clientId };

  it('names dev alone when the caller names no provider', () => {
    const env = withDevProvider(undefined, dev);
    expect(JSON.parse(env.OIDC_PROVIDERS)).toEqual([devEntry]);
    expect(JSON.parse(env.OIDC_CLIENT_SECRETS)).toEqual({ dev: dev.clientSecret });
  });

  it("puts dev after the caller's providers, and its secret beside theirs", () => {
    const other = { id: 'corp', name: 'Corp', issuer: 'https://id.example', clientId: 'abc' };
    const env = withDevProvider({ OIDC_PROVIDERS: JSON.stringify([other]), OIDC_CLIENT_SECRETS: '{"corp":"s3cret"}' }, dev);
    expect(JSON.parse(env.OIDC_PROVIDERS)).toEqual([other, devEntry]);
    expect(JSON.parse(env.OIDC_CLIENT_SECRETS)).toEqual({ dev: dev.clientSecret, corp: 's3cret' });
  });

  it.each([
    [{ OIDC_PROVIDERS: '{"id":"corp"}' }, 'OIDC_PROVIDERS is not a JSON array'],
    [{ OIDC_CLIENT_SECRETS: '["s3cret"]' }, 'OIDC_CLIENT_SECRETS is not a JSON object'],
    [{ OIDC_PROVIDERS: '[{"id":"dev"}]' }, 'OIDC_PROVIDERS names a provider dev'],
  ])('refuses %j', (env, message) => {
    expect(() => withDevProvider(env, dev)).toThrow(message);
  });
});
