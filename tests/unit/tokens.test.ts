import { base64url, errors as joseErrors, SignJWT } from 'jose';
import { AccessTokenError } from '../../lib/shared/errors';
import { generateSigningKey, importSigningKeys, type SigningKeys } from '../../lib/access/signing-keys';
import { extractAccessToken, extractCredential, issueAccessToken, MAX_ACCESS_TOKEN_LENGTH, verifyAccessToken } from '../../lib/access/tokens';
import { testKeySet } from '../support/keys';

const settings = { issuer: 'test-issuer', audience: 'test-audience' };
const now = new Date('2026-01-01T00:00:00Z');
const claims = { userId: 'user-1', roles: ['user' as const, 'moderator' as const], sessionId: 'session-1' };

let keys: SigningKeys;
beforeAll(async () => {
  keys = (await testKeySet()).keys;
});

const issue = (overrides: Partial<typeof settings> & { at?: Date; ttlSeconds?: number } = {}) =>
  issueAccessToken(keys, claims, { ...settings, ...overrides, now: overrides.at ?? now, ttlSeconds: overrides.ttlSeconds ?? 900 });

async function reason(token: string, at: Date = now): Promise<string> {
  try {
    await verifyAccessToken(keys, token, { ...settings, now: at });
    return 'accepted';
  } catch (error) {
    return error instanceof AccessTokenError ? error.reason : `unexpected ${String(error)}`;
  }
}

/** A token signed by hand with the test key, around the service's issuer (what the service would not issue). */
const handSigned = (payload: Record<string, unknown>, header: Record<string, unknown>, expiresAt: number | string = now.getTime() / 1000 + 60) =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key', ...header })
    .setSubject('u')
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setJti('j')
    .sign(keys.signer.key);

describe('access tokens', () => {
  it('verify what they issue, with the contract claims and a kid header', async () => {
    const token = await issue();
    await expect(verifyAccessToken(keys, token, { ...settings, now })).resolves.toEqual({ ...claims, expiresAt: now.getTime() / 1000 + 900 });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part!))));
    expect(header).toEqual({ alg: 'RS256', kid: 'test-key', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'user-1', id: 'user-1', roles: ['user', 'moderator'], sid: 'session-1', iss: 'test-issuer', aud: 'test-audience' });
    expect(payload.exp - payload.iat).toBe(900);
    expect(typeof payload.jti).toBe('string');
  });

  it('are expired once exp has passed, and only then', async () => {
    const token = await issue();
    expect(await reason(token, new Date(now.getTime() + 899_000))).toBe('accepted');
    expect(await reason(token, new Date(now.getTime() + 901_000))).toBe('expired');
  });

  it('are refused with another issuer, audience, key or a tampered payload', async () => {
    expect(await reason(await issue({ issuer: 'someone-else' }))).toBe('invalid');
    expect(await reason(await issue({ audience: 'another-api' }))).toBe('invalid');

    const foreign = await importSigningKeys(JSON.stringify({ keys: [await generateSigningKey('test-key')] }));
    expect(await reason(await issueAccessToken(foreign, claims, { ...settings, now, ttlSeconds: 900 }))).toBe('invalid');

    const [header, , signature] = (await issue()).split('.');
    const forged = base64url.encode(
      JSON.stringify({ ...claims, sub: 'user-1', roles: ['admin'], sid: 's', iss: settings.issuer, aud: settings.audience, iat: 1, exp: 9e9, jti: 'x' }),
    );
    expect(await reason(`${header}.${forged}.${signature}`)).toBe('invalid');
  });

  it('refuse alg none and a token of another type', async () => {
    const payload = base64url.encode(
      JSON.stringify({ sub: 'u', roles: ['admin'], sid: 's', iss: settings.issuer, aud: settings.audience, iat: 1, exp: 9e9, jti: 'x' }),
    );
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: 'test-key', typ: 'at+jwt' }))}.${payload}.`;
    expect(await reason(none)).toBe('invalid');

    const idToken = await handSigned({ roles: ['user'], sid: 's' }, { typ: 'JWT' }, '1h');
    expect(await reason(idToken)).toBe('invalid');
  });

  it('refuse unknown roles and oversized tokens', async () => {
    const withUnknownRole = await handSigned({ roles: ['superuser'], sid: 's' }, { typ: 'at+jwt' });
    expect(await reason(withUnknownRole)).toBe('invalid');
    expect(await reason('a'.repeat(5000))).toBe('invalid');
  });

  it('are refused when longer than the limit even if validly signed, and accepted at exactly the limit', async () => {
    // A padding claim sizes a genuine token; the header's extra parameter fills lengths base64url skips.
    const sized = async (pad: number, extra: number) =>
      handSigned({ roles: ['user'], sid: 's', pad: 'p'.repeat(pad) }, { typ: 'at+jwt', x: 'x'.repeat(extra) });
    let atLimit: string | undefined;
    for (let extra = 0; extra < 3 && atLimit === undefined; extra++) {
      const base = (await sized(0, extra)).length;
      const candidate = await sized(Math.floor(((MAX_ACCESS_TOKEN_LENGTH - base) * 3) / 4), extra);
      if (candidate.length === MAX_ACCESS_TOKEN_LENGTH) atLimit = candidate;
    }
    expect(atLimit?.length).toBe(MAX_ACCESS_TOKEN_LENGTH);
    expect(await reason(atLimit as string)).toBe('accepted');
    const over = await sized(MAX_ACCESS_TOKEN_LENGTH, 0);
    expect(over.length).toBeGreaterThan(MAX_ACCESS_TOKEN_LENGTH);
    expect(await reason(over)).toBe('invalid');
  });

  it('keep the jose error as the cause of an expiry', async () => {
    // The cause is what a log line shows of why a token was refused.
    const error = await verifyAccessToken(keys, await issue(), { ...settings, now: new Date(now.getTime() + 901_000) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessTokenError);
    expect((error as AccessTokenError).reason).toBe('expired');
    expect((error as AccessTokenError).cause).toBeInstanceOf(joseErrors.JWTExpired);
  });
});

describe('extractAccessToken', () => {
  it('reads x-access-token or a Bearer authorization header', () => {
    expect(extractAccessToken({ 'x-access-token': 'abc' })).toBe('abc');
    expect(extractAccessToken({ authorization: 'Bearer abc' })).toBe('abc');
    expect(extractAccessToken({ authorization: 'bearer abc', 'x-access-token': 'abc' })).toBe('abc');
  });

  it.each([
    [{}, 'missing'],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, 'invalid'],
    [{ authorization: 'Bearer' }, 'invalid'],
    [{ authorization: 'Bearer a b' }, 'invalid'],
    [{ authorization: 'Bearer one', 'x-access-token': 'two' }, 'invalid'],
  ])('refuses %j as %s', (headers, expected) => {
    expect(() => extractAccessToken(headers)).toThrow(expect.objectContaining({ reason: expected }));
  });
});

describe('the session cookie', () => {
  it('is read only when no token header is sent: a header wins', () => {
    const name = '__Host-jwt_session';
    expect(extractCredential({ cookie: `theme=dark; ${name}=c.o.k` }, name)).toEqual({ token: 'c.o.k', via: 'cookie' });
    expect(extractCredential({ cookie: `${name}=c.o.k`, 'x-access-token': 'h.d.r' }, name)).toEqual({ token: 'h.d.r', via: 'header' });
    expect(() => extractCredential({ cookie: 'theme=dark' }, name)).toThrow(expect.objectContaining({ reason: 'missing' }));
    expect(() => extractCredential({ cookie: `${name}=` }, name)).toThrow(expect.objectContaining({ reason: 'missing' }));
  });

  it('is read by exactly the name in force: the other name is no credential', () => {
    // A deployed stage ignores a plain `jwt_session` (one a sibling subdomain could have planted)...
    expect(() => extractCredential({ cookie: 'jwt_session=c.o.k' }, '__Host-jwt_session')).toThrow(expect.objectContaining({ reason: 'missing' }));
    // ...and the local stage a `__Host-` one.
    expect(() => extractCredential({ cookie: '__Host-jwt_session=c.o.k' }, 'jwt_session')).toThrow(expect.objectContaining({ reason: 'missing' }));
    expect(extractCredential({ cookie: 'jwt_session=t.w.o; __Host-jwt_session=o.n.e' }, '__Host-jwt_session')).toEqual({ token: 'o.n.e', via: 'cookie' });
    expect(extractCredential({ cookie: '__Host-jwt_session=o.n.e; jwt_session=t.w.o' }, 'jwt_session')).toEqual({ token: 't.w.o', via: 'cookie' });
  });

  it('carries a token of its own type: never valid as an access token, nor an access token as it', async () => {
    const cookieToken = await issueAccessToken(keys, claims, { ...settings, now, ttlSeconds: 86_400, via: 'cookie' });
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(cookieToken.split('.')[0] as string))).typ).toBe('session+jwt');
    await expect(verifyAccessToken(keys, cookieToken, { ...settings, now, via: 'cookie' })).resolves.toMatchObject({ userId: 'user-1', via: 'cookie' });
    expect(await reason(cookieToken)).toBe('invalid');
    await expect(verifyAccessToken(keys, await issue(), { ...settings, now, via: 'cookie' })).rejects.toThrow(expect.objectContaining({ reason: 'invalid' }));
  });
});
