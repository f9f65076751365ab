import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { SigningKeys } from '../../lib/keys';
import { issueAccessToken } from '../../lib/tokens';
import { authorizerEvent } from '../support/events';
import { testKeySet } from '../support/keys';

let handler: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
let keys: SigningKeys;

beforeAll(async () => {
  const set = await testKeySet();
  keys = set.keys;
  process.env.TABLE_NAME = 'unit-test';
  process.env.SIGNING_KEYS = set.json;
  process.env.JWT_ISSUER = 'iss';
  process.env.JWT_AUDIENCE = 'aud';
  ({ handler } = await import('../../handlers/authorizer'));
});

const token = (roles: ('user' | 'admin')[] = ['user']) =>
  issueAccessToken(keys, { userId: 'u-1', roles, sessionId: 's-1' }, { issuer: 'iss', audience: 'aud', now: new Date(), ttlSeconds: 60 });

describe('authorizer handler', () => {
  it('allows the whole API, so a cached policy also fits the next route, and passes the identity on', async () => {
    const result = await handler(authorizerEvent({ 'X-Access-Token': await token(['user', 'admin']) }));
    expect(result.principalId).toBe('u-1');
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*' },
    ]);
    expect(result.context).toEqual({ userId: 'u-1', sessionId: 's-1', roles: '["user","admin"]' });
  });

  it('accepts the Bearer form too', async () => {
    const result = await handler(authorizerEvent({ Authorization: `Bearer ${await token()}` }));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
  });

  it.each([
    [{}, 'No token provided!'],
    [{ 'x-access-token': 'not-a-jwt' }, 'Unauthorized!'],
  ])('denies %j with the message for the gateway response', async (headers, message) => {
    const result = await handler(authorizerEvent(headers));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(result.context).toEqual({ message });
  });

  it('says when the token has expired', async () => {
    const expired = await issueAccessToken(keys, { userId: 'u', roles: ['user'], sessionId: 's' }, { issuer: 'iss', audience: 'aud', now: new Date(Date.now() - 3_600_000), ttlSeconds: 60 });
    const result = await handler(authorizerEvent({ authorization: `Bearer ${expired}` }));
    expect(result.context).toEqual({ message: 'Unauthorized! Access Token was expired!' });
  });
});
