import { BadRequestError, ServiceUnavailableError } from '../../lib/shared/errors';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiEvent, httpApiEvent } from '../../scripts/lambda-events';

import * as http from '../../lib/http/handler';
import { jsonBody } from '../../lib/http/request';
import { logger } from '../../lib/shared/log';
import { authorize } from '../../lib/access/authenticate';
import type { SigningKeys } from '../../lib/access/signing-keys';
import { authorizerResult } from '../../lib/access/policy';
import { issueAccessToken } from '../../lib/access/tokens';
import { testKeySet } from '../support/keys';

const json = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, unknown>;

describe('httpHandler', () => {
  const echo = () => http.httpHandler(async (request) => ({ json: jsonBody(request) }));

  it('renders JSON with security headers, and CORS only for the configured origin', async () => {
    const allowed = await echo()(
      apiEvent({ method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://localhost:8081' }, body: '{"a":1}' }),
    );
    expect(allowed.statusCode).toBe(200);
    expect(json(allowed)).toEqual({ a: 1 });
    expect(allowed.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': 'http://localhost:8081',
    });
    const foreign = await echo()(apiEvent({ method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{}' }));
    expect(foreign.headers?.['access-control-allow-origin']).toBeUndefined();
    expect(foreign.headers?.vary).toBe('Origin');
  });

  it.each<[string, Partial<Parameters<typeof apiEvent>[0]>, number, string]>([
    ['no body', { body: null }, 400, 'Request body is required.'],
    ['a form body', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 415, 'Content-Type must be application/json.'],
    ['a JSON body with no Content-Type', { headers: {}, body: '{"a":1}' }, 415, 'Content-Type must be application/json.'],
    ['broken JSON', { body: '{"a":' }, 400, 'Request body must be valid JSON.'],
    ['an array', { body: '[1,2]' }, 400, 'Request body must be a JSON object.'],
    ['null', { body: 'null' }, 400, 'Request body must be a JSON object.'],
    ['false, passed as a boolean (serverless-offline does)', { body: false as unknown as string }, 400, 'Request body must be a JSON object.'],
    ['a huge body', { body: JSON.stringify({ a: 'x'.repeat(17_000) }) }, 413, 'Request body is too large (at most 16384 bytes).'],
  ])('answers %s with a JSON error', async (_, event, status, message) => {
    const result = await echo()(apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, ...event }));
    expect(result.statusCode).toBe(status);
    expect(json(result)).toEqual({ message });
  });

  it('never shows the message of an unexpected error, and logs it instead', async () => {
    const log = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const handler = http.httpHandler(async () => {
      throw new Error('ValidationException: One or more parameter values were invalid at /var/task/index.js:1');
    });
    const result = await handler(apiEvent({}));
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe('{"message":"Internal server error."}');
    expect(log).toHaveBeenCalledWith('request failed', { error: expect.stringContaining('ValidationException') });
    log.mockRestore();
  });

  it('gives a 503 with Retry-After for an unavailable database, hiding the cause', async () => {
    const log = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const handler = http.httpHandler(async () => {
      throw new ServiceUnavailableError({ cause: new Error('connect ECONNREFUSED 127.0.0.1:8000') });
    });
    const result = await handler(apiEvent({}));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('5');
    expect(result.body).not.toContain('ECONNREFUSED');
    log.mockRestore();
  });

  it('passes client errors through with their message', async () => {
    const handler = http.httpHandler(async () => {
      throw new BadRequestError('Failed! Username is already in use!');
    });
    expect(json(await handler(apiEvent({})))).toEqual({ message: 'Failed! Username is already in use!' });
  });

  it('reads the authorizer context, and ignores a malformed one', async () => {
    const seen: unknown[] = [];
    const handler = http.httpHandler(async (request) => {
      seen.push(request.auth);
      return { text: 'ok' };
    });
    const event = (authorizer: Record<string, string>): APIGatewayProxyEvent => apiEvent({ authorizer });
    await handler(event({ userId: 'u', sessionId: 's', roles: '["user","admin"]' }));
    await handler(event({ userId: 'u', sessionId: 's', roles: '["root"]' }));
    await handler(event({ userId: 'u', sessionId: 's', roles: 'not json' }));
    expect(seen).toEqual([{ userId: 'u', sessionId: 's', roles: ['user', 'admin'] }, undefined, undefined]);
  });

  it('logs one line per request with the route, status and user, and nothing of the body or headers', async () => {
    const debug = jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
    const handler = http.httpHandler(async () => ({ json: { ok: true } }));
    await handler(
      apiEvent({
        method: 'POST',
        path: '/api/auth/signin',
        headers: { 'content-type': 'application/json', 'x-access-token': 'eyJ.secret.token' },
        body: '{"username":"alice","password":"hunter2 hunter2"}',
        authorizer: { userId: 'u-1', sessionId: 's-1', roles: '["user"]' },
      }),
    );
    expect(debug).toHaveBeenCalledTimes(1);
    const [message, fields] = debug.mock.calls[0]!;
    expect(message).toBe('request');
    expect(fields).toMatchObject({ route: 'POST /api/auth/signin', status: 200, outcome: 'ok', userId: 'u-1' });
    expect(JSON.stringify(fields)).not.toMatch(/hunter2|eyJ|secret|alice/);
    debug.mockRestore();
  });

  it('logs a served request only at DEBUG (sampled invocations), a refusal at INFO and a failure at WARN, one line each', async () => {
    const spies = Object.fromEntries(
      (['debug', 'info', 'warn'] as const).map((level) => [level, jest.spyOn(logger, level).mockImplementation(() => undefined)]),
    );
    const lines = () =>
      Object.fromEntries(Object.entries(spies).map(([level, spy]) => [level, spy.mock.calls.filter(([message]) => message === 'request').length]));
    const answering = (status: 'ok' | 'refused' | 'failed') =>
      http.httpHandler(async () => {
        if (status === 'refused') throw new BadRequestError('no');
        if (status === 'failed') throw new ServiceUnavailableError();
        return { text: 'ok' };
      });
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    await answering('ok')(apiEvent({}));
    expect(lines()).toEqual({ debug: 1, info: 0, warn: 0 });
    await answering('refused')(apiEvent({}));
    expect(lines()).toEqual({ debug: 1, info: 1, warn: 0 });
    await answering('failed')(apiEvent({}));
    expect(lines()).toEqual({ debug: 1, info: 1, warn: 1 });
    for (const spy of [...Object.values(spies), error]) spy.mockRestore();
  });

  it('decides sampling afresh in every invocation: one sampled request does not leave its container logging at DEBUG', async () => {
    const handler = http.httpHandler(async () => ({ text: 'ok' }));
    const initial = logger.getLevelName();
    await handler(apiEvent({}));
    // As a sampled invocation leaves it (the unit tier's sample rate is 0: never sampled here).
    logger.setLogLevel('DEBUG');
    await handler(apiEvent({}));
    expect(logger.getLevelName()).toBe(initial);
  });

  it('guards protected routes as a wrapper option: no identity 401, a missing role 403 with the contract message', async () => {
    const forRole = (requires: http.Requirement) => http.httpHandler({ requires }, async (_, caller) => ({ text: `hello ${caller.userId}` }));
    const as = (roles: string) => apiEvent({ authorizer: { userId: 'u', sessionId: 's', roles } });
    expect(json(await forRole('signed-in')(apiEvent({})))).toEqual({ message: 'Unauthorized!' });
    expect((await forRole('signed-in')(as('["user"]'))).body).toBe('hello u');
    expect(await forRole('moderator')(as('["user"]'))).toMatchObject({ statusCode: 403, body: '{"message":"Require Moderator Role!"}' });
    expect(await forRole('admin')(as('["user","moderator"]'))).toMatchObject({ statusCode: 403, body: '{"message":"Require Admin Role!"}' });
    // An admin is not implicitly a moderator, as in the tutorial.
    expect((await forRole('moderator')(as('["admin"]'))).statusCode).toBe(403);
    expect((await forRole('admin')(as('["admin"]'))).statusCode).toBe(200);
  });
});

it('refuses to build a guarded handler without the handler it guards', () => {
  expect(() => http.httpHandler({ requires: 'signed-in' }, undefined as never)).toThrow('httpHandler: a guard needs a handler');
});

describe('the CSRF rule, at the wrapper', () => {
  // A cookie-borne caller as the real authorizer passes it on: a cookie token verified by authorize(),
  // its context rendered by authorizerResult(), read back by the wrapper. Only liveness is a stand-in
  // (always live: it is not what this tests; integration/authorizer.test.ts tests it against the table).
  const settings = { issuer: 'iss', audience: 'aud' };
  let keys: SigningKeys;
  beforeAll(async () => {
    keys = (await testKeySet()).keys;
  });

  async function contextFor(via: 'cookie' | 'header'): Promise<Record<string, string>> {
    const now = new Date();
    const token = await issueAccessToken(keys, { userId: 'u-1', roles: ['user'], sessionId: 's-1' }, { ...settings, now, ttlSeconds: 60, via });
    const headers = via === 'cookie' ? { cookie: `jwt_session=${token}` } : { 'x-access-token': token };
    const outcome = await authorize({ keys, settings, isSessionLive: async () => true, sessionCookie: 'jwt_session' }, headers, now);
    return authorizerResult(outcome, 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/api/auth/password').context as Record<string, string>;
  }

  const changeSomething = http.httpHandler({ requires: 'signed-in' }, async () => ({ json: { changed: true } }));
  const call = async (via: 'cookie' | 'header', method: string, origin?: string) =>
    changeSomething(apiEvent({ method, headers: origin ? { origin } : {}, authorizer: await contextFor(via) })).then((result) => ({
      status: result.statusCode,
      body: json(result),
    }));
  const refused = { status: 403, body: { message: 'Origin not allowed.' } };
  const served = { status: 200, body: { changed: true } };

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('refuses a cookie-authenticated %s without an allowed Origin, and serves it from one', async (method) => {
    expect(await call('cookie', method)).toEqual(refused);
    expect(await call('cookie', method, 'https://evil.example')).toEqual(refused);
    expect(await call('cookie', method, 'http://localhost:8081')).toEqual(served);
  });

  it('lets cookie reads and token-header requests through without an Origin', async () => {
    expect(await call('cookie', 'GET')).toEqual(served);
    expect(await call('header', 'POST')).toEqual(served);
    expect(await call('header', 'DELETE', 'https://evil.example')).toEqual(served);
  });
});

describe('behind an HTTP API (payload 2.0)', () => {
  const seen = http.httpHandler({ requires: 'signed-in' }, async (request, caller) => ({
    json: { method: request.method, cookie: request.headers.cookie, ip: request.sourceIp, caller },
    headers: { 'Set-Cookie': 'jwt_session=new; HttpOnly' },
  }));

  it("reads the method, the cookies array, the source address and the authorizer's context under `lambda`", async () => {
    const result = await seen(
      httpApiEvent({
        method: 'POST',
        headers: { origin: 'http://localhost:8081' },
        cookies: ['a=1', 'jwt_session=abc'],
        authorizer: { userId: 'u', sessionId: 's', roles: '["user","admin"]', via: 'header' },
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toEqual({
      method: 'POST',
      cookie: 'a=1; jwt_session=abc',
      ip: '198.51.100.7',
      caller: { userId: 'u', sessionId: 's', roles: ['user', 'admin'] },
    });
  });

  it('answers with the cookie to set in `cookies`, not as a header', async () => {
    const result = await seen(httpApiEvent({ authorizer: { userId: 'u', sessionId: 's', roles: '["user"]', via: 'header' } }));
    expect(result.cookies).toEqual(['jwt_session=new; HttpOnly']);
    expect(Object.keys(result.headers ?? {})).not.toContain('set-cookie');
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  });

  it("takes an HTTP API event of payload 1.0 for what it is: shaped as REST's, answered as REST's", async () => {
    const event = {
      ...apiEvent({
        method: 'POST',
        headers: { origin: 'http://localhost:8081' },
        authorizer: { userId: 'u', sessionId: 's', roles: '["user"]', via: 'header' },
      }),
      version: '1.0',
    };
    const result = (await seen(event)) as APIGatewayProxyResult & { cookies?: string[] };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ method: 'POST', caller: { userId: 'u' } });
    expect(result.cookies).toBeUndefined();
    expect(result.headers).toMatchObject({ 'set-cookie': 'jwt_session=new; HttpOnly' });
  });

  it('refuses a protected route reached without an authorizer context, as under REST', async () => {
    const result = await seen(httpApiEvent({}));
    expect({ status: result.statusCode, body: JSON.parse(result.body!) }).toEqual({ status: 401, body: { message: 'Unauthorized!' } });
    expect(result.cookies).toBeUndefined();
  });

  it('applies the CSRF rule to a cookie-borne caller', async () => {
    const cookieCaller = { userId: 'u', sessionId: 's', roles: '["user"]', via: 'cookie' };
    const refused = await seen(httpApiEvent({ method: 'POST', authorizer: cookieCaller }));
    expect({ status: refused.statusCode, body: JSON.parse(refused.body!) }).toEqual({ status: 403, body: { message: 'Origin not allowed.' } });
  });

  it('logs the route key', async () => {
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    await seen(httpApiEvent({ method: 'GET', path: '/api/auth/me' }));
    expect(info).toHaveBeenCalledWith('request', expect.objectContaining({ route: 'GET /api/auth/me', status: 401, outcome: 'refused' }));
    info.mockRestore();
  });
});
