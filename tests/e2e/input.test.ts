import { api, rawApi, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';

// Every bad input: a clear 4xx JSON answer, and nothing stored (the name can still be registered after).
describe('bad input', () => {
  it.each<[string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }, number, string]>([
    ['non-JSON', { rawBody: '{"username":', headers: { 'content-type': 'application/json' } }, 400, 'Request body must be valid JSON.'],
    ['a JSON array', { body: [] }, 400, 'Request body must be a JSON object.'],
    ['a form body', { rawBody: 'username=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'Content-Type must be application/json.'],
    ['a missing password', { body: { username: 'NAME', email: 'e@example.com' } }, 400, 'password is required'],
    ['a number for a username', { body: { username: 12345, email: 'e@example.com', password: 'long enough' } }, 400, 'username must be a string'],
    ['an operator object for an email', { body: { username: 'NAME', email: { $gt: '' }, password: 'long enough' } }, 400, 'email must be a string'],
    ['a bad email', { body: { username: 'NAME', email: 'nope', password: 'long enough' } }, 400, 'email must be a valid email address'],
    ['a password over 72 bytes', { body: { username: 'NAME', email: 'e@example.com', password: 'p'.repeat(73) } }, 400, 'password must be at most 72 bytes'],
    [
      'a zero-width character in the name',
      { body: { username: 'NAME\u200b', email: 'e@example.com', password: 'long enough' } },
      400,
      'username may contain only letters, digits, ".", "_" and "-"',
    ],
    [
      'an oversized body',
      { body: { username: 'NAME', email: 'e@example.com', password: 'long enough', junk: 'x'.repeat(20_000) } },
      413,
      'Request body is too large (at most 16384 bytes).',
    ],
  ])('sign-up with %s gets %i', async (_, request, status, message) => {
    const fresh = newUser();
    const substitute = (text: string) => text.replaceAll('NAME', fresh.username).replace('e@example.com', fresh.email);
    const body = request.body === undefined ? undefined : JSON.parse(substitute(JSON.stringify(request.body)));
    const response = await api('POST', '/api/auth/signup', {
      ...request,
      ...(body === undefined ? {} : { body }),
      ...(request.rawBody ? { rawBody: substitute(request.rawBody) } : {}),
    });
    expect({ status: response.status, body: response.json }).toEqual({ status, body: { message } });
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await signUp(fresh)).toMatchObject({ status: 200 });
  });

  // API Gateway passes a request's headers as they came; serverless-offline used to add `application/json`
  // (deploy/offline/event-fidelity.cjs). Every client the contract serves (the tutorial's axios clients, the
  // browser pages, fetch with a JSON body) sends a Content-Type: a body without one is not JSON it asked for.
  it('a JSON body sent with no Content-Type at all gets 415, as any other type, and signs nobody in or up', async () => {
    const fresh = newUser();
    const noType = (path: string, body: unknown) => rawApi('POST', path, { origin: 'http://localhost:8081' }, JSON.stringify(body));
    for (const response of [
      await noType('/api/auth/signup', fresh),
      await noType('/api/auth/signin', { username: fresh.username, password: fresh.password }),
    ]) {
      expect({ status: response.status, body: response.json }).toEqual({ status: 415, body: { message: 'Content-Type must be application/json.' } });
      expect(response.headers.get('content-type')).toContain('application/json');
    }
    // Nothing was stored: the name is still free, and with a Content-Type the same request works.
    expect(await signUp(fresh)).toMatchObject({ status: 200 });
    expect(await signIn(fresh.username, fresh.password)).toMatchObject({ status: 200 });
  });

  it('sign-in with wrong types gets a 400, never a 500', async () => {
    for (const body of [{ username: ['a'], password: 'x' }, { username: 'a', password: null }, {}]) {
      const response = await api('POST', '/api/auth/signin', { body });
      expect(response.status).toBe(400);
      expect(typeof response.json.message).toBe('string');
    }
  });

  it('refresh with a non-string token gets a 400', async () => {
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: { $ne: null } } })).toMatchObject({
      status: 400,
      json: { message: 'refreshToken must be a string' },
    });
  });
});

// Races over HTTP (parallel sign-ups and refreshes) are in tests/security/races.test.ts.
