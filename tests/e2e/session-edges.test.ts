import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lib/store/keys';
import { createTable } from '../../lib/store/table';
import { hashOpaqueToken } from '../../lib/access/tokens';
import { api, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';

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
        Key: keys.refreshToken(hashOpaqueToken(refreshToken)),
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
    expect(await api('GET', '/api/auth/me')).toMatchObject({ status: 401, json: { message: 'No token provided!' } });
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

  it('answers a foreign origin as API Gateway does: no CORS header from a function, the static one from a gateway response', async () => {
    // A function (public route and a refused request alike): nothing that names any origin.
    for (const response of [
      await api('GET', '/api/test/all', { headers: { origin: 'https://evil.example' } }),
      await api('POST', '/api/auth/signin', { headers: { origin: 'https://evil.example' }, body: { username: 'x', password: 'y' } }),
    ]) {
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('vary')).toContain('Origin');
    }
    // A gateway response (the authorizer refused): its headers are fixed in the template, on AWS and here.
    const denied = await api('GET', '/api/test/user', { headers: { origin: 'https://evil.example' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('http://localhost:8081');
  });
});
