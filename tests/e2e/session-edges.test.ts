import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from '../../lib/store/item-keys';
import { createTable } from '../../lib/store/table';
import { api, rawApi, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';
import { gateway, statusAndBody } from '../support/gateway';

// Edges that need time to pass: the test moves the stored expiry into the past in the real table
// instead of waiting a day.
const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

describe('refresh token expiry', () => {
  it('answers an expired refresh token with the tutorial message, even before TTL deletes it', async () => {
    const user = newUser();
    await signUp(user);
    const refreshToken = (await signIn(user.username, user.password)).json.refreshToken as string;
    await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        // The token names its session, whose item holds it and its expiry.
        Key: itemKeys.session(...(refreshToken.split('.') as [string, string])),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken } })).toMatchObject({
      status: 403,
      json: { message: 'Refresh token was expired. Please make a new signin request' },
    });
  });
});

describe('profile and CORS', () => {
  it('/api/auth/me needs a token', async () => {
    expect(await api('GET', '/api/auth/me')).toMatchObject(statusAndBody(gateway().noToken));
  });

  it("answers a path no route has, or a method its path lacks, with the gateway's 404, never serverless-offline's list of routes", async () => {
    const { unknownRoute } = gateway();
    const origin = 'http://localhost:8081';
    for (const [method, path] of [
      ['GET', '/api/no/such/route'],
      ['GET', '/api/test/user/extra'],
      ['POST', '/'],
      // Paths that exist, with a method they do not have: 404 as well (no 405 on either flavour: README).
      ['GET', '/api/auth/signin'],
      ['DELETE', '/api/test/all'],
      ['PUT', '/api/auth/me'],
    ] as const) {
      const response = await api(method, path, { headers: { origin, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) } });
      expect({ method, path, status: response.status, json: response.json }).toEqual({ method, path, ...statusAndBody(unknownRoute) });
      expect(response.headers.get('content-type')).toContain('application/json');
      // CORS as on the flavour's other refusals: the configured origin may read it.
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });

  it("answers a body over API Gateway's 10 MB with the gateway's 413, never hapi's own body", async () => {
    const { tooLarge } = gateway();
    const origin = 'http://localhost:8081';
    // One byte over: hapi refuses it on its Content-Length (serverless-offline's limit, API Gateway's), reads the rest away, answers.
    const response = await rawApi('POST', '/api/auth/signup', { origin, 'content-type': 'application/json' }, Buffer.alloc(10 * 1024 * 1024 + 1, 'x'));
    expect({ status: response.status, json: response.json }).toEqual(statusAndBody(tooLarge));
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('answers a browser preflight from the configured origin with the token headers allowed', async () => {
    const response = await api('OPTIONS', '/api/auth/signin', {
      headers: {
        origin: 'http://localhost:8081',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-access-token',
      },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8081');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-access-token');
    const foreign = await api('OPTIONS', '/api/auth/signin', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  it('gives CORS headers to the configured origin on a real response', async () => {
    const response = await api('GET', '/api/test/all', { headers: { origin: 'http://localhost:8081' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8081');
    const foreign = await api('GET', '/api/test/all', { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  it('answers a foreign origin as API Gateway does: no CORS header from a function, on a refusal what the flavour sends', async () => {
    // A function (public route and a refused request alike): nothing that names any origin.
    for (const response of [
      await api('GET', '/api/test/all', { headers: { origin: 'https://evil.example' } }),
      await api('POST', '/api/auth/signin', { headers: { origin: 'https://evil.example' }, body: { username: 'x', password: 'y' } }),
    ]) {
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('vary')).toContain('Origin');
    }
    // The authorizer refused: on REST a gateway response, whose headers are fixed in the template, on AWS and
    // here; on an HTTP API its CORS configuration, which gives another origin nothing.
    const denied = await api('GET', '/api/test/user', { headers: { origin: 'https://evil.example' } });
    expect(denied.status).toBe(gateway().noToken.status);
    expect({ origin: denied.headers.get('access-control-allow-origin'), credentials: denied.headers.get('access-control-allow-credentials') }).toEqual(
      gateway().refusalCors('https://evil.example', 'http://localhost:8081'),
    );
  });
});
