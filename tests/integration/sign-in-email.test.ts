import { randomBytes, randomUUID } from 'node:crypto';
import { checkCredentials, signIn } from '../../lib/account/sign-in';
import { registerUser } from '../../lib/account/sign-up';
import type { SessionDeps } from '../../lib/account/types';
import { InvalidCredentialsError, TooManyRequestsError } from '../../lib/shared/errors';
import { hashPassword } from '../../lib/shared/passwords';
import { createTable } from '../../lib/store/table';
import { createUser } from '../../lib/store/users';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { testKeySet } from '../support/keys';

// Sign-in with the account's email in the `username` field, against DynamoDB Local: which account a
// name finds, and that the per-name lockout counts the account, not the spelling.
const table = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

let keys: SessionDeps['keys'];
beforeAll(async () => {
  keys = (await testKeySet()).keys;
});

/** Deps from an address of their own, so the per-IP limit never meets another test's attempts. */
function depsFromFreshIp(): SessionDeps {
  return { table, keys, now: () => new Date(), client: { userAgent: 'jest', ip: `198.51.${randomBytes(2).join('.')}` }, config: testAccountConfig };
}

async function registered(prefix = 'byemail') {
  const input = newUser(prefix);
  const user = await registerUser(depsFromFreshIp(), input, ['user'], undefined);
  return { input, user };
}

/** How an attempt ended, as the client would see it. */
async function attempt(deps: SessionDeps, username: string, password: string): Promise<string> {
  try {
    await checkCredentials(deps, { username, password });
    return 'signed in';
  } catch (error) {
    if (error instanceof InvalidCredentialsError) return '401';
    if (error instanceof TooManyRequestsError) return '429';
    throw error;
  }
}

describe('sign-in by email', () => {
  it('the account email, in any case, signs in as the account (the same body as by username)', async () => {
    const { input, user } = await registered();
    const outcome = await signIn(depsFromFreshIp(), { username: input.email.toUpperCase(), password: input.password });
    if ('mfaRequired' in outcome) throw new Error('unexpected MFA challenge');
    expect(outcome.user).toMatchObject({ id: user.id, username: input.username, email: input.email });
    await expect(checkCredentials(depsFromFreshIp(), { username: input.email, password: 'not the password' })).rejects.toThrow(InvalidCredentialsError);
  });

  it('the lockout counts the account: wrong passwords by username and by email in turn share one limit', async () => {
    const { input } = await registered('lockmix');
    const deps = depsFromFreshIp();
    const spellings = [input.username, input.email.toUpperCase(), input.username.toUpperCase(), input.email, input.username];
    const results = [];
    for (const name of spellings) results.push(await attempt(deps, name, 'not the password'));
    expect(results).toEqual(Array(testAccountConfig.lockoutThreshold).fill('401'));
    // The next attempt, by either name and even with the right password, is refused unchecked.
    expect(await attempt(deps, input.email, input.password)).toBe('429');
    expect(await attempt(deps, input.username, input.password)).toBe('429');
  });

  it('a successful sign-in by email clears the count kept under the username', async () => {
    const { input } = await registered('lockclear');
    const deps = depsFromFreshIp();
    for (let i = 0; i < testAccountConfig.lockoutThreshold - 1; i++) expect(await attempt(deps, input.username, 'not the password')).toBe('401');
    await signIn(deps, { username: input.email, password: input.password });
    for (let i = 0; i < testAccountConfig.lockoutThreshold - 1; i++) expect(await attempt(deps, input.username, 'not the password')).toBe('401');
    expect(await attempt(deps, input.username, input.password)).toBe('signed in');
  });

  it("a name with '@' is only ever an email: an old account whose username looks like another account's email cannot shadow it", async () => {
    // Sign-up refuses '@' in a username now; an account stored before that (written here directly) may hold one.
    const victim = await registered('victim');
    const legacyInput = newUser('legacy', 'legacy account password');
    const legacy = {
      id: randomUUID(),
      username: victim.input.email,
      email: legacyInput.email,
      passwordHash: await hashPassword(legacyInput.password, testAccountConfig.bcryptCost),
      roles: ['user' as const],
      createdAt: new Date().toISOString(),
      credVersion: 0,
      mfaEnabled: false,
      emailVerified: false,
    };
    await createUser(table, legacy);
    // The name finds the account whose email it is, never the account that took it as a username.
    expect(await attempt(depsFromFreshIp(), victim.input.email, legacyInput.password)).toBe('401');
    expect((await checkCredentials(depsFromFreshIp(), { username: victim.input.email, password: victim.input.password })).id).toBe(victim.user.id);
    // The old account signs in with its own email.
    expect((await checkCredentials(depsFromFreshIp(), { username: legacyInput.email, password: legacyInput.password })).id).toBe(legacy.id);
  });
});
