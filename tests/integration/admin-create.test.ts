import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROLES } from '../../lib/shared/roles';
import { createTable } from '../../lib/store/table';
import { findUserByUsername } from '../../lib/store/users';
import { newUser } from '../support/data';

// `npm run admin:create -- --stage local` finds the local stack where `npm start` put it: DYNAMODB_PORT,
// read by the same localPorts as `npm start`, never whatever answers on the default 8000. The script runs
// as an operator runs it, against this tier's DynamoDB Local, with no DYNAMODB_ENDPOINT or TABLE_NAME set.
const ROOT = join(__dirname, '../..');
const table = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

function adminCreate(user: { username: string; email: string; password: string }, env: Record<string, string>) {
  const { DYNAMODB_ENDPOINT: _endpoint, TABLE_NAME: _table, ...inherited } = process.env;
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'admin:create', '--', '--stage', 'local', '--username', user.username, '--email', user.email],
      { cwd: ROOT, env: { ...inherited, ADMIN_PASSWORD: user.password, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('admin:create on the local stage', () => {
  it('writes into the DynamoDB Local on DYNAMODB_PORT', async () => {
    const admin = newUser('admin');
    const run = await adminCreate(admin, { DYNAMODB_PORT: new URL(process.env.DYNAMODB_ENDPOINT!).port });
    expect(run).toMatchObject({ code: 0, output: expect.stringContaining(`admin ${admin.username} in lambda-jwt-auth-local: created`) });
    expect((await findUserByUsername(table, admin.username))?.roles).toEqual(expect.arrayContaining([...ROLES]));
  }, 60_000);

  it('refuses a DYNAMODB_PORT that is not a port, and writes nothing', async () => {
    const admin = newUser('admin');
    const run = await adminCreate(admin, { DYNAMODB_PORT: '80000' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('DYNAMODB_PORT=80000 is out of range: 1..65535 (port)');
    expect(await findUserByUsername(table, admin.username)).toBeUndefined();
  }, 60_000);
});
