import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Secret, TOTP } from 'otpauth';
import { confirmTotp, setupTotp, verifySecondFactor } from '../../lib/account/mfa';
import { signIn } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps, SecondFactorDeps } from '../../lib/account/types';
import { verifyAccessToken } from '../../lib/access/tokens';
import { UnauthorizedError } from '../../lib/shared/errors';
import { listSessionItems } from '../../lib/store/sessions';
import { createTable, type Table } from '../../lib/store/table';
import { changeCredentials, changeRoles, findUserByUsername } from '../../lib/store/users';
import { hashPassword } from '../../lib/shared/passwords';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { recordingMailQueue } from '../support/mail';
import { testKeySet } from '../support/keys';

// The second step of an MFA sign-in against the real DynamoDB Local. The one mock: a table client that
// runs a credentials change just before verify's session transaction (fault injection), to hit the
// window between verify's version check and its write deterministically, which HTTP cannot.
let deps: SecondFactorDeps & MailingDeps;
const client = { userAgent: 'jest', ip: '127.0.0.1' };

beforeAll(async () => {
  deps = {
    table: createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT }),
    keys: (await testKeySet()).keys,
    now: () => new Date(),
    client,
    mail: recordingMailQueue(),
    config: testAccountConfig,
  };
});

afterAll(() => deps.table.client.destroy());

/** A user with MFA on (set up and confirmed as an authenticator app would), and its recovery codes. */
async function enrolled() {
  const input = newUser('itmfa');
  await signUp(deps, input, undefined);
  const first = await signIn(deps, input);
  if ('mfaRequired' in first) throw new Error('unexpected MFA challenge');
  const caller = await verifyAccessToken(deps.keys, first.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: deps.now() });
  const { secret } = await setupTotp(deps, caller, input.password, client.ip);
  const { recoveryCodes } = await confirmTotp(deps, caller, new TOTP({ secret: Secret.fromBase32(secret) }).generate());
  return { input, user: (await findUserByUsername(deps.table, input.username))!, recoveryCodes };
}

/** The table, whose next session transaction is preceded by `change` (committed before it is sent). */
function changingBeforeSessionWrite(table: Table, change: () => Promise<unknown>): Table & { injected: number } {
  const wrapped = {
    ...table,
    injected: 0,
    client: new Proxy(table.client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown, options?: unknown) => {
          const items = command instanceof TransactWriteCommand ? (command.input.TransactItems ?? []) : [];
          if (items.some((item) => item.Put?.Item?.type === 'session') && wrapped.injected === 0) {
            wrapped.injected++;
            await change();
          }
          return (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        };
      },
    }),
  };
  return wrapped;
}

describe('MFA verify racing a credentials change', () => {
  it.each([
    ['a password change', async (userId: string) => changeCredentials(deps.table, userId, { passwordHash: await hashPassword('the owner changed it', 4) })],
    ['a role change', (userId: string) => changeRoles(deps.table, userId, ['user', 'moderator'])],
  ])('%s committed between the check and the session write: 401 expired, no session', async (_, change) => {
    const { input, user, recoveryCodes } = await enrolled();
    const started = await signIn(deps, input);
    if (!('mfaRequired' in started)) throw new Error('expected an MFA challenge');
    const before = (await listSessionItems(deps.table, user.id)).length;

    const table = changingBeforeSessionWrite(deps.table, () => change(user.id));
    const attempt = verifySecondFactor({ ...deps, table }, { mfaToken: started.mfaToken, recoveryCode: recoveryCodes[0]! });
    await expect(attempt).rejects.toThrow(UnauthorizedError);
    await expect(attempt).rejects.toThrow('MFA session expired. Please sign in again.');
    expect(table.injected).toBe(1);
    expect(await listSessionItems(deps.table, user.id)).toHaveLength(before);
  });
});
