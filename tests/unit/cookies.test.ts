import { cookieSessionOf } from '../../lib/http/caller';
import {
  assertCookieOrigin,
  bindingCookieHeaders,
  bindingCookieOf,
  clearedCookieHeaders,
  hasSessionCookie,
  sessionCookieHeaders,
} from '../../lib/http/cookies';
import type { HttpRequest } from '../../lib/http/request';
import { Deadline } from '../../lib/shared/deadline';

const request = (headers: Record<string, string>, method = 'POST'): HttpRequest => ({
  method,
  path: '/api/auth/signout',
  basePath: '',
  headers,
  body: undefined,
  pathParameters: {},
  query: {},
  auth: undefined,
  sourceIp: undefined,
  userAgent: undefined,
  deadline: Deadline.forRequest(),
});

/** The cookie module under a configuration of its own (config() is read once per module registry). */
function cookiesWith(env: Record<string, string>): typeof import('../../lib/http/cookies') {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let module: typeof import('../../lib/http/cookies') | undefined;
    jest.isolateModules(() => {
      // Read the configuration now, while the environment is set: config() parses it on first use.
      (require('../../lib/shared/config') as typeof import('../../lib/shared/config')).config();
      module = require('../../lib/http/cookies');
    });
    return module!;
  } finally {
    process.env = saved;
  }
}

describe('the session cookie', () => {
  // This tier's configuration names no cookie: the default, which every stage but local gets.
  it('is `__Host-jwt_session` by default: Secure, Path=/, no Domain, even on a loopback host', () => {
    const deployed = sessionCookieHeaders(request({ host: 'api.example.com', 'x-forwarded-proto': 'https' }), 'tok')['Set-Cookie'];
    expect(deployed).toMatch(/^__Host-jwt_session=tok; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    // Browsers drop a `__Host-` cookie without Secure: the name's promise wins over the loopback exception.
    expect(sessionCookieHeaders(request({ host: 'localhost:8080' }), 'tok')['Set-Cookie']).toMatch(/^__Host-jwt_session=tok;.*; Secure;/);
    expect(deployed).not.toMatch(/domain/i);
    expect(sessionCookieHeaders(request({ host: 'localhost' }), undefined)).toEqual({});
  });

  it('is cleared under the name in force with Max-Age=0', () => {
    expect(clearedCookieHeaders(request({ host: 'api.example.com' }))['Set-Cookie']).toMatch(
      /^__Host-jwt_session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const local = cookiesWith({ AUTH_COOKIE_NAME: 'jwt_session' });
    expect(local.clearedCookieHeaders(request({ host: 'localhost:8080' }))['Set-Cookie']).toMatch(/^jwt_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('is counted as present by exactly the name in force', () => {
    expect(hasSessionCookie(request({ cookie: '__Host-jwt_session=x' }))).toBe(true);
    expect(hasSessionCookie(request({ cookie: 'jwt_session=x' }))).toBe(false);
    const local = cookiesWith({ AUTH_COOKIE_NAME: 'jwt_session' });
    expect(local.hasSessionCookie(request({ cookie: 'jwt_session=x' }))).toBe(true);
    expect(local.hasSessionCookie(request({ cookie: '__Host-jwt_session=x' }))).toBe(false);
  });

  it('on the local stage (`jwt_session`) is Secure everywhere but plain-http loopback', () => {
    const local = cookiesWith({ AUTH_COOKIE_NAME: 'jwt_session' });
    expect(local.sessionCookieHeaders(request({ host: 'localhost:8080' }), 'tok')['Set-Cookie']).toMatch(
      /^jwt_session=tok; Max-Age=86400; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    // A loopback name behind TLS (a local HTTPS proxy) is still Secure.
    expect(local.sessionCookieHeaders(request({ host: 'localhost:8080', 'x-forwarded-proto': 'https' }), 'tok')['Set-Cookie']).toContain('Secure');
    // The port is cut from the end only: `[::1]:8080` is the IPv6 loopback, not `[:]:8080`.
    for (const host of ['localhost:8080', '127.0.0.1:3000', 'localhost', '[::1]:8080', '[::1]']) {
      expect(local.sessionCookieHeaders(request({ host }), 'tok')['Set-Cookie']).not.toContain('Secure');
    }
    expect(local.sessionCookieHeaders(request({ host: 'api.example.com' }), 'tok')['Set-Cookie']).toContain('Secure');
  });

  it('authenticates a state change only from an allowed Origin; reads and token headers are not its business', () => {
    const cookie = { via: 'cookie' as const };
    expect(() => assertCookieOrigin(request({}), cookie)).toThrow('Origin not allowed.');
    expect(() => assertCookieOrigin(request({ origin: 'https://evil.example' }, 'DELETE'), cookie)).toThrow('Origin not allowed.');
    expect(() => assertCookieOrigin(request({ origin: 'http://localhost:8081' }, 'PUT'), cookie)).not.toThrow();
    for (const safe of ['GET', 'HEAD', 'OPTIONS']) expect(() => assertCookieOrigin(request({}, safe), cookie)).not.toThrow();
    expect(() => assertCookieOrigin(request({}), {})).not.toThrow();
  });

  it("accepts the service's own origin (its hosted pages) as the browser addressed it, and no look-alike", () => {
    const cookie = { via: 'cookie' as const };
    const own = (origin: string, headers: Record<string, string>) => () => assertCookieOrigin(request({ origin, ...headers }), cookie);
    expect(own('https://auth.example.com', { host: 'auth.example.com', 'x-forwarded-proto': 'https' })).not.toThrow();
    expect(own('http://localhost:8080', { host: 'localhost:8080' })).not.toThrow();
    // Another host, another port, another scheme, a sibling: each is another origin.
    expect(own('https://evil.example', { host: 'auth.example.com', 'x-forwarded-proto': 'https' })).toThrow('Origin not allowed.');
    expect(own('http://localhost:9999', { host: 'localhost:8080' })).toThrow('Origin not allowed.');
    expect(own('http://auth.example.com', { host: 'auth.example.com', 'x-forwarded-proto': 'https' })).toThrow('Origin not allowed.');
    expect(own('https://auth.example.com', { host: 'auth.example.com' })).not.toThrow();
    expect(own('http://auth.example.com', { host: 'auth.example.com' })).toThrow('Origin not allowed.');
    expect(own('https://app.auth.example.com', { host: 'auth.example.com' })).toThrow('Origin not allowed.');
    // No Host, no own origin.
    expect(own('https://', {})).toThrow('Origin not allowed.');
  });

  it('is checked for the cookie sign-out before the cookie is read: its session is a cookie caller whatever the token says', async () => {
    // cookieSessionOf (lib/http/caller.ts) ends the cookie's session; a foreign page must not make a
    // browser end it. The Origin is refused before the token is verified (this one would not verify).
    const signOut = request({ cookie: '__Host-jwt_session=not-a-token' });
    await expect(cookieSessionOf(signOut)).rejects.toThrow('Origin not allowed.');
    await expect(cookieSessionOf(request({ cookie: '__Host-jwt_session=not-a-token', origin: 'http://localhost:8081' }))).rejects.not.toThrow(
      'Origin not allowed.',
    );
  });
});

describe("the social sign-in's binding cookie", () => {
  it('is `__Host-oauth_binding` where the session cookie is `__Host-`: HttpOnly, Secure, Path=/, SameSite=Lax, its lifetime', () => {
    expect(bindingCookieHeaders(request({ host: 'localhost:8080' }), 'b1', 600)).toEqual({
      'Set-Cookie': '__Host-oauth_binding=b1; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax',
    });
    expect(bindingCookieOf(request({ cookie: 'a=1; __Host-oauth_binding=b1' }))).toBe('b1');
    expect(bindingCookieOf(request({ cookie: 'oauth_binding=b1' }))).toBeUndefined();
    expect(bindingCookieOf(request({}))).toBeUndefined();
  });

  it('is `oauth_binding` on the local stage, Secure everywhere but plain-http loopback', () => {
    const local = cookiesWith({ AUTH_COOKIE_NAME: 'jwt_session' });
    expect(local.bindingCookieHeaders(request({ host: 'localhost:8080' }), 'b2', 60)).toEqual({
      'Set-Cookie': 'oauth_binding=b2; Max-Age=60; Path=/; HttpOnly; SameSite=Lax',
    });
    expect(local.bindingCookieHeaders(request({ host: 'api.example.com' }), 'b2', 60)['Set-Cookie']).toBe(
      'oauth_binding=b2; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
    expect(local.bindingCookieOf(request({ cookie: 'oauth_binding=b2' }))).toBe('b2');
    expect(local.bindingCookieOf(request({ cookie: '__Host-oauth_binding=b2' }))).toBeUndefined();
  });
});
