import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { normalizeIdentifier } from '../../lib/store/users';
import { itemKeys } from '../../lib/store/item-keys';
import { createTable } from '../../lib/store/table';
import { apiFrom, signUp } from '../support/api';
import { newUser } from '../support/data';

// Brute-force protection, from loopback addresses of their own (127.0.0.2+) so the per-IP limit of
// these tests and of the rest of the suite do not meet. LOCKOUT_THRESHOLD=5 and a 60 s window for this run:
// no test races the window; one that needs it over ends it in the table, as the passing of time would.
const windowMs = Number(process.env.E2E_LOCKOUT_WINDOW_MS);
const ipThreshold = Number(process.env.E2E_LOCKOUT_IP_THRESHOLD);
const signInFrom = (address: string, username: string, password: string) => apiFrom(address, 'POST', '/api/auth/signin', { username, password });
const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

describe('sign-in lockout', () => {
  it('locks an account after 5 attempts, even for the right password, and unlocks by itself', async () => {
    const user = newUser();
    await signUp(user);
    for (let i = 0; i < 5; i++) expect((await signInFrom('127.0.0.2', user.username, 'wrong password')).status).toBe(401);
    const locked = await signInFrom('127.0.0.2', user.username, user.password);
    expect(locked.status).toBe(429);
    expect(locked.json).toEqual({ message: 'Too many sign-in attempts. Please try again later.' });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);

    // The window ends (its end moved to now, as time would move it): the right password works again.
    const counter = itemKeys.attempts('username', normalizeIdentifier(user.username));
    const counted = await table.client.send(new GetCommand({ TableName: table.name, Key: counter, ConsistentRead: true }));
    expect(counted.Item).toMatchObject({ attempts: 6 });
    await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: counter,
        UpdateExpression: 'SET expiresAt = :now',
        ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
      }),
    );
    expect((await signInFrom('127.0.0.2', user.username, user.password)).status).toBe(200);
  });

  // An unknown username is locked exactly like an existing one: tests/security/enumeration.test.ts.

  it('counts parallel failed attempts exactly: no more than 5 are ever checked', async () => {
    const user = newUser();
    await signUp(user);
    const responses = await Promise.all(Array.from({ length: 20 }, () => signInFrom('127.0.0.5', user.username, 'wrong password')));
    expect(responses.filter((r) => r.status === 401)).toHaveLength(5);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it('limits one source IP spraying many accounts', async () => {
    // The IP's window already holds all but three of its attempts (seeded, rather than sent one by one);
    // eight more, each for another account, at once: the counter is atomic, so exactly three are checked.
    await table.client.send(
      new PutCommand({
        TableName: table.name,
        Item: { ...itemKeys.attempts('ip', '127.0.0.3'), attempts: ipThreshold - 3, expiresAt: Math.floor(Date.now() / 1000) + 60 },
      }),
    );
    const responses = await Promise.all(Array.from({ length: 8 }, () => signInFrom('127.0.0.3', newUser().username, 'wrong password')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
  });
});
