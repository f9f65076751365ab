import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { admitAttempt, admitCodeAttempt, admitMailRequest, admitResetAttempt, MFA_CODE_THRESHOLD, mayMailFrom } from '../../lib/account/lockout';
import type { AccountDeps } from '../../lib/account/types';
import type { HttpError } from '../../lib/shared/errors';
import { createTable } from '../../lib/store/table';
import { createTables } from '../../scripts/dynamodb-local';
import { testAccountConfig } from '../support/account-config';
import { uniqueName } from '../support/data';

// The limits of lib/account/lockout.ts against the real counters in DynamoDB Local (started by
// global-setup.ts). Each test counts under an address and names of its own, on a clock it moves.
const t0 = new Date('2026-03-01T12:00:00Z');
const table = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

function limited(config: Partial<AccountDeps['config']> = {}) {
  const at = { now: t0 };
  const ip = `203.0.113.${randomBytes(3).join('.')}`;
  const deps: AccountDeps = { table, now: () => at.now, client: { userAgent: 'jest', ip }, config: { ...testAccountConfig, ...config } };
  return { at, ip, deps, later: (seconds: number) => (at.now = new Date(t0.getTime() + seconds * 1000)) };
}

/** The refusal as the client sees it, or 'admitted'. */
async function outcome(attempt: Promise<unknown>) {
  try {
    await attempt;
    return 'admitted';
  } catch (error) {
    const { status, headers, message } = error as HttpError;
    return { status, retryAfter: headers['Retry-After'], message };
  }
}

async function times(count: number, attempt: () => Promise<unknown>) {
  const results = [];
  for (let i = 0; i < count; i++) results.push(await outcome(attempt()));
  return results;
}

const signInRefusal = (retryAfter: string) => ({ status: 429, retryAfter, message: 'Too many sign-in attempts. Please try again later.' });

describe('sign-in attempts', () => {
  it('admits LOCKOUT_THRESHOLD attempts per username in a window, whatever its case, and refuses the next until the window ends', async () => {
    const { deps, later } = limited();
    const name = uniqueName('lock');
    expect(await times(5, () => admitAttempt(deps, name.toUpperCase(), deps.client.ip))).toEqual(Array(5).fill('admitted'));
    later(45);
    expect(await outcome(admitAttempt(deps, name, deps.client.ip))).toEqual(signInRefusal('15'));
    // Another name from the same address is not locked.
    expect(await outcome(admitAttempt(deps, uniqueName('lock'), deps.client.ip))).toBe('admitted');
    later(60);
    expect(await outcome(admitAttempt(deps, name, deps.client.ip))).toBe('admitted');
  });

  it('admits LOCKOUT_IP_THRESHOLD attempts per source address over all names', async () => {
    const { deps } = limited({ lockoutIpThreshold: 3 });
    expect(await times(3, () => admitAttempt(deps, uniqueName('ip'), deps.client.ip))).toEqual(Array(3).fill('admitted'));
    expect(await outcome(admitAttempt(deps, uniqueName('ip'), deps.client.ip))).toEqual(signInRefusal('60'));
  });

  it('waits for the later of two locks', async () => {
    const { deps, later } = limited({ lockoutIpThreshold: 6 });
    const name = uniqueName('both');
    // The username's window opens at t0 (from another address), the address's 20 s later (under other names).
    const elsewhere = limited();
    await times(6, () => admitAttempt(elsewhere.deps, name, elsewhere.ip));
    later(20);
    await times(6, () => admitAttempt(deps, uniqueName('other'), deps.client.ip));
    later(30);
    // Username locked until t0+60, address until t0+80: Retry-After counts to the later.
    expect(await outcome(admitAttempt(deps, name, deps.client.ip))).toEqual(signInRefusal('50'));
  });
});

describe('second-factor codes', () => {
  it('admits MFA_CODE_THRESHOLD codes per account in a window and refuses the next with its own message', async () => {
    const { deps, later } = limited();
    const userId = uniqueName('mfa');
    expect(MFA_CODE_THRESHOLD).toBe(10);
    expect(await times(10, () => admitCodeAttempt(deps, userId))).toEqual(Array(10).fill('admitted'));
    later(1);
    expect(await outcome(admitCodeAttempt(deps, userId))).toEqual({ status: 429, retryAfter: '59', message: 'Too many wrong codes. Please try again later.' });
    expect(await outcome(admitCodeAttempt(deps, uniqueName('mfa')))).toBe('admitted');
  });
});

describe('mail requests', () => {
  it('admits EMAIL_IP_THRESHOLD per address in EMAIL_IP_WINDOW, sign-up mail counted in the same counter but never refused', async () => {
    const { deps, ip, later } = limited({ emailIpThreshold: 2, emailIpWindowSeconds: 30 });
    expect(await mayMailFrom(deps, ip)).toBe(true);
    expect(await outcome(admitMailRequest(deps, ip))).toBe('admitted');
    later(10);
    expect(await outcome(admitMailRequest(deps, ip))).toEqual({ status: 429, retryAfter: '20', message: 'Too many requests. Please try again later.' });
    expect(await mayMailFrom(deps, ip)).toBe(false);
    later(30);
    expect(await mayMailFrom(deps, ip)).toBe(true);
    expect(await outcome(admitMailRequest(deps, ip))).toBe('admitted');
  });
});

describe('password reset attempts', () => {
  it('count against the address sign-in counter, with its threshold and message', async () => {
    const { deps, ip } = limited({ lockoutIpThreshold: 2 });
    await admitAttempt(deps, uniqueName('reset'), ip);
    expect(await outcome(admitResetAttempt(deps, ip))).toBe('admitted');
    expect(await outcome(admitResetAttempt(deps, ip))).toEqual(signInRefusal('60'));
    expect(await outcome(admitAttempt(deps, uniqueName('reset'), ip))).toEqual(signInRefusal('60'));
  });

  it('share it with sign-ins also when the request has no source address', async () => {
    // A table of its own: requests without an address all count under one key, into which other files of
    // this tier (running meanwhile) may count too.
    const own = createTable({
      tableName: `no-address-${randomBytes(4).toString('hex')}`,
      region: 'us-east-1',
      dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT,
    });
    await createTables(process.env.DYNAMODB_ENDPOINT!, own.name);
    try {
      const deps = { ...limited({ lockoutIpThreshold: 2 }).deps, table: own, client: { userAgent: 'jest', ip: undefined } };
      await admitAttempt(deps, uniqueName('reset'), undefined);
      expect(await outcome(admitResetAttempt(deps, undefined))).toBe('admitted');
      expect(await outcome(admitResetAttempt(deps, undefined))).toEqual(signInRefusal('60'));
      expect(await outcome(admitAttempt(deps, uniqueName('reset'), undefined))).toEqual(signInRefusal('60'));
    } finally {
      await own.client.send(new DeleteTableCommand({ TableName: own.name }));
      own.client.destroy();
    }
  });
});
