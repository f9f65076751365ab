import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { admitAttempt, admitMailRequest } from '../../lib/account/lockout';
import type { AccountDeps } from '../../lib/account/types';
import { takeMailQuota } from '../../lib/store/mail-quota';
import { createTable } from '../../lib/store/table';
import { createTables } from '../../scripts/dynamodb-local';
import { testAccountConfig } from '../support/account-config';
import { uniqueName } from '../support/data';

// `npm run limits:clear` as a developer runs it, against a table of its own in this tier's DynamoDB Local
// (it clears every counter in its table, and the other files of this tier count in theirs meanwhile).
// Each limit is filled to its threshold over the real store, the script runs, and the next request passes.
const ROOT = join(__dirname, '../..');
const ENDPOINT = process.env.DYNAMODB_ENDPOINT!;
const TABLE_NAME = `limits-clear-${randomBytes(4).toString('hex')}`;
const table = createTable({ tableName: TABLE_NAME, region: 'us-east-1', dynamodbEndpoint: ENDPOINT });
beforeAll(() => createTables(ENDPOINT, TABLE_NAME));
afterAll(() => table.client.destroy());

const now = new Date('2026-03-01T12:00:00Z');
const nowSeconds = now.getTime() / 1000;
const config = { ...testAccountConfig, lockoutThreshold: 3, emailIpThreshold: 2 };
/** A client of its own per test: a source IP nobody else counts under. */
const client = (): AccountDeps => ({ table, now: () => now, client: { userAgent: 'jest', ip: `203.0.113.${randomBytes(3).join('.')}` }, config });

function limitsClear(env: Record<string, string>) {
  const { DYNAMODB_ENDPOINT: _endpoint, TABLE_NAME: _table, ...inherited } = process.env;
  return new Promise<{ code: number; stdout: string; output: string }>((resolve) => {
    execFile('npm', ['run', '--silent', 'limits:clear'], { cwd: ROOT, env: { ...inherited, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, output: `${stdout}${stderr}` }),
    );
  });
}

/** 'admitted', or the refusal's status. */
const outcome = (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'admitted',
    (error: { status?: number }) => error.status,
  );

/** Fills the sign-in lockout of `username`, the per-IP mail limit and one address's mail quota to their limits. */
async function fillLimits(deps: AccountDeps, username: string, email: string) {
  const ip = deps.client.ip;
  for (let i = 0; i < deps.config.lockoutThreshold; i++) await admitAttempt(deps, username, ip);
  for (let i = 0; i < deps.config.emailIpThreshold; i++) await admitMailRequest(deps, ip);
  expect(await takeMailQuota(table, email, nowSeconds)).toBe(true);
  // Each is at its limit: the next request is refused.
  expect(await outcome(admitAttempt(deps, username, ip))).toBe(429);
  expect(await outcome(admitMailRequest(deps, ip))).toBe(429);
  expect(await takeMailQuota(table, email, nowSeconds + 1)).toBe(false);
}

describe('npm run limits:clear', () => {
  it('lifts every lockout and mail limit in the local table, and touches nothing else', async () => {
    const username = uniqueName('locked');
    const email = `${username}@example.com`;
    const deps = client();
    const ip = deps.client.ip;
    await fillLimits(deps, username, email);
    const other = { pk: `USER#${username}`, sk: 'PROFILE', username };
    await table.client.send(new PutCommand({ TableName: TABLE_NAME, Item: other }));

    const run = await limitsClear({ DYNAMODB_ENDPOINT: ENDPOINT, TABLE_NAME });
    // The username's and the IP's sign-in counters, the IP's mail counter; the address's quota.
    expect(run).toMatchObject({
      code: 0,
      stdout: `cleared 3 attempt counter(s) and 1 mail quota(s) in ${TABLE_NAME} at ${ENDPOINT}: every limit starts again from zero\n`,
    });

    expect(await outcome(admitAttempt(deps, username, ip))).toBe('admitted');
    expect(await outcome(admitMailRequest(deps, ip))).toBe('admitted');
    expect(await takeMailQuota(table, email, nowSeconds + 2)).toBe(true);
    expect((await table.client.send(new GetCommand({ TableName: TABLE_NAME, Key: { pk: other.pk, sk: other.sk } }))).Item).toEqual(other);
  }, 60_000);

  it('refuses an endpoint that is not on this machine, and deletes nothing', async () => {
    const username = uniqueName('kept');
    const deps = client();
    const ip = deps.client.ip;
    await fillLimits(deps, username, `${username}@example.com`);
    for (const endpoint of ['https://dynamodb.us-east-1.amazonaws.com', 'http://127.0.0.1.example.com:8000', '']) {
      const run = await limitsClear({ DYNAMODB_ENDPOINT: endpoint, TABLE_NAME });
      expect(run.code).not.toBe(0);
      expect(run.output).toContain('limits:clear clears the local stage only');
      expect(run.output).toContain('nothing was deleted');
    }
    expect(await outcome(admitAttempt(deps, username, ip))).toBe(429);
  }, 60_000);
});
