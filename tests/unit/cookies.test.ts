import { assertCookieOrigin, clearedCookieHeaders, sessionCookieHeaders } from '../../lib/http/cookies';
import type { HttpRequest } from '../../lib/http/request';
import { Deadline } from '../../lib/shared/deadline';

const request = (headers: Record<string, string>, method = 'POST'): HttpRequest => ({
  method,
  headers,
  body: undefined,
  pathParameters: {},
  query: {},
  auth: undefined,
  sourceIp: undefined,
  userAgent: undefined,
  deadline: Deadline.forRequest(),
});

describe('the session cookie', () => {
  it('is Secure everywhere but plain-http loopback', () => {
    const deployed = sessionCookieHeaders(request({ host: 'api.example.com', 'x-forwarded-proto': 'https' }), 'tok')['Set-Cookie'];
    expect(deployed).toMatch(/^jwt_session=tok; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    // A loopback name behind TLS (a local HTTPS proxy) is still Secure.
    expect(sessionCookieHeaders(request({ host: 'localhost:8080', 'x-forwarded-proto': 'https' }), 'tok')['Set-Cookie']).toContain('Secure');
    for (const host of ['localhost:8080', '127.0.0.1:3000', 'localhost']) {
      expect(sessionCookieHeaders(request({ host }), 'tok')['Set-Cookie']).not.toContain('Secure');
    }
    expect(sessionCookieHeaders(request({ host: 'localhost' }), undefined)).toEqual({});
  });

  it('is cleared with Max-Age=0', () => {
    expect(clearedCookieHeaders(request({ host: 'api.example.com' }))['Set-Cookie']).toMatch(/^jwt_session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('authenticates a state change only from an allowed Origin; reads and token headers are not its business', () => {
    const cookie = { via: 'cookie' as const };
    expect(() => assertCookieOrigin(request({}), cookie)).toThrow('Origin not allowed.');
    expect(() => assertCookieOrigin(request({ origin: 'https://evil.example' }, 'DELETE'), cookie)).toThrow('Origin not allowed.');
    expect(() => assertCookieOrigin(request({ origin: 'http://localhost:8081' }, 'PUT'), cookie)).not.toThrow();
    expect(() => assertCookieOrigin(request({}, 'GET'), cookie)).not.toThrow();
    expect(() => assertCookieOrigin(request({}), {})).not.toThrow();
  });
});
