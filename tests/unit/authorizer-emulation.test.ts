import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// The HTTP API half of the local authorizer emulation (deploy/offline/authorizer-emulation.cjs) on the paths the
// e2e stack cannot reach without breaking the stack: an authorizer that fails or answers nonsense, a missing
// identity source, the result cache. The authorizer Lambda is a loopback server answering as serverless-offline's
// invoke endpoint would; hapi's toolkit is the small part of it the emulation calls. tests/e2e (npm run
// test:e2e:http) checks the rest over the real serverless-offline.
const state = require('../../deploy/offline/state.cjs') as { serverless: unknown; options: unknown };
const emulatedAuthorizer = require('../../deploy/offline/authorizer-emulation.cjs') as (
  endpoint: unknown,
  functionKey: string,
  method: string,
  path: string,
) => { getAuthenticateFunction: (server: unknown) => { authenticate: (request: unknown, h: unknown) => Promise<Outcome> } };

type Outcome = { status: number; body: string } | { credentials: { context: Record<string, unknown> } };

let invoke: Server;
let answer: unknown;
const events: Record<string, unknown>[] = [];

beforeAll(async () => {
  invoke = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      events.push(JSON.parse(body) as Record<string, unknown>);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => invoke.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise((resolve) => invoke.close(resolve)));

function authorizer(definition: Record<string, unknown>) {
  state.options = { lambdaPort: (invoke.address() as AddressInfo).port };
  state.serverless = {
    service: {
      provider: {
        region: 'us-east-1',
        stage: 'local',
        httpApi: {
          authorizers: { authorizer: { type: 'request', functionName: 'authorizer', payloadVersion: '2.0', enableSimpleResponses: true, ...definition } },
        },
      },
      custom: {},
      getFunction: (key: string) => ({ name: `lambda-jwt-auth-local-${key}` }),
      getAllFunctions: () => [],
    },
  };
  const scheme = emulatedAuthorizer({ isHttpApi: true, authorizer: { name: 'authorizer' } }, 'userContent', 'GET', '/api/test/user');
  return scheme.getAuthenticateFunction({ ext: () => undefined }).authenticate;
}

function request(headers: Record<string, string>) {
  const rawHeaders = Object.entries(headers).flat();
  return {
    raw: { req: { rawHeaders, headers: { ...headers } } },
    headers: { ...headers },
    query: {},
    params: {},
    path: '/api/test/user',
    method: 'get',
    url: new URL('http://127.0.0.1/api/test/user'),
    info: { remoteAddress: '127.0.0.1', id: 'request-id', received: Date.now() },
  };
}

// What the emulation calls of hapi's toolkit: a response (code, type, takeover) or authenticated().
const h = {
  response: (body: string) => {
    const rendered = { status: 200, body };
    const chain = {
      code: (status: number) => {
        rendered.status = status;
        return chain;
      },
      type: () => chain,
      takeover: () => rendered,
    };
    return chain;
  },
  authenticated: (result: { credentials: { context: Record<string, unknown> } }) => result,
};

const refused = (status: number, message: string) => ({ status, body: JSON.stringify({ message }) });

describe('HTTP API authorizer emulation', () => {
  beforeEach(() => {
    events.length = 0;
  });

  it('passes only isAuthorized: true, with its context; any other answer is the HTTP API 403 or 500, never a pass', async () => {
    const authenticate = authorizer({ resultTtlInSeconds: 0 });
    const cases: [unknown, Outcome][] = [
      [{ isAuthorized: true, context: { userId: 'u' } }, { credentials: { context: { userId: 'u' } } }],
      [{ isAuthorized: false, context: { message: 'Unauthorized!' } }, refused(403, 'Forbidden')],
      [{ isAuthorized: 'true' }, refused(500, 'Internal Server Error')],
      [{ principalId: 'u', policyDocument: {} }, refused(500, 'Internal Server Error')],
      [{ errorMessage: 'Service temporarily unavailable', errorType: 'Error' }, refused(500, 'Internal Server Error')],
      [{ isAuthorized: true, errorMessage: 'boom' }, refused(500, 'Internal Server Error')],
      [null, refused(500, 'Internal Server Error')],
    ];
    for (const [given, expected] of cases) {
      answer = given;
      expect({ given, outcome: await authenticate(request({ 'x-access-token': 't' }), h) }).toEqual({ given, outcome: expected });
    }
  });

  it('sends a payload 2.0 event: cookies apart, header names lower-cased, the override header gone', async () => {
    const authenticate = authorizer({ resultTtlInSeconds: 0 });
    answer = { isAuthorized: false };
    await authenticate(request({ Cookie: 'a=1; jwt_session=s', 'X-Access-Token': 't', 'sls-offline-authorizer-override': '{"userId":"x"}' }), h);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeKey: 'GET /api/test/user',
      routeArn: 'arn:aws:execute-api:us-east-1:000000000000:offline/$default/GET/api/test/user',
      cookies: ['a=1', 'jwt_session=s'],
      headers: { 'x-access-token': 't' },
      requestContext: { http: { method: 'GET', path: '/api/test/user', sourceIp: '127.0.0.1' }, routeKey: 'GET /api/test/user', stage: '$default' },
    });
    expect(Object.keys(events[0]!.headers as object)).toEqual(['x-access-token']);
  });

  it('with caching: 401 without the identity source, before the authorizer runs; one decision per identity for the TTL', async () => {
    const authenticate = authorizer({ resultTtlInSeconds: 300, identitySource: ['$request.header.Authorization'] });
    answer = { isAuthorized: true, context: { userId: 'u' } };
    for (const headers of [{}, { authorization: '' }, { 'x-access-token': 't' }] as Record<string, string>[]) {
      expect({ headers, outcome: await authenticate(request(headers), h) }).toEqual({ headers, outcome: refused(401, 'Unauthorized') });
    }
    expect(events).toHaveLength(0);
    const one = `Bearer one-${Date.now()}`;
    expect(await authenticate(request({ authorization: one }), h)).toEqual({ credentials: { context: { userId: 'u' } } });
    answer = { isAuthorized: false };
    expect(await authenticate(request({ authorization: one }), h)).toEqual({ credentials: { context: { userId: 'u' } } });
    expect(await authenticate(request({ authorization: `${one}-other` }), h)).toEqual(refused(403, 'Forbidden'));
    expect(events.map((event) => event.identitySource)).toEqual([[one], [`${one}-other`]]);
  });

  it('refuses to emulate what it does not know', () => {
    expect(() => authorizer({ resultTtlInSeconds: 0, enableSimpleResponses: false })).toThrow(/simple responses/);
    expect(() => authorizer({ resultTtlInSeconds: 300 })).toThrow(/caching needs an identity source/);
    expect(() => authorizer({ resultTtlInSeconds: 0, identitySource: ['$request.querystring.token'] })).toThrow(/only headers/);
  });
});
