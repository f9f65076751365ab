import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DeleteCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { deleteUser, setUserRoles } from '../../lib/account/admin-users';
import { ensureAdmin } from '../../lib/account/bootstrap';
import { registerUser } from '../../lib/account/sign-up';
import type { MailingDeps } from '../../lib/account/types';
import { ConflictError } from '../../lib/shared/errors';
import { createTable, type Table } from '../../lib/store/table';
import { migrate } from '../../lib/store/migrations';
import { adminRosterIds, enrolAdmin, findUserByUsername, getUser } from '../../lib/store/users';
import { itemKeys } from '../../lib/store/item-keys';
import { createTables } from '../../scripts/dynamodb-local';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { interceptedTable } from '../support/injection';
import { recordingMailQueue } from '../support/mail';

// The last admin (issue 21, point 10b) against the real DynamoDB Local. Each case gets a table of its
// own, so the admins it counts are exactly the ones it made (the shared table holds other files' admins).
const tables: Table[] = [];
afterAll(() => {
  for (const table of tables) table.client.destroy();
});

async function freshDeps(): Promise<MailingDeps> {
  const tableName = `admins-${randomBytes(4).toString('hex')}`;
  await createTables(process.env.DYNAMODB_ENDPOINT!, tableName);
  const table = createTable({ tableName, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
  tables.push(table);
  return { table, now: () => new Date(), client: { userAgent: 'jest', ip: '127.0.0.1' }, mail: recordingMailQueue(), config: testAccountConfig };
}

const admins = (deps: MailingDeps) => (id: string) => getUser(deps.table, id).then((user) => user?.roles.includes('admin') === true);

async function twoAdmins(deps: MailingDeps) {
  const a = await registerUser(deps, newUser('adminA'), ['user', 'admin'], undefined);
  const b = await registerUser(deps, newUser('adminB'), ['user', 'admin'], undefined);
  return [a.id, b.id] as const;
}

describe('the last admin', () => {
  it('cannot take away its own admin role, nor be deleted; another admin can be, and then it is the last', async () => {
    const deps = await freshDeps();
    const [a, b] = await twoAdmins(deps);
    expect(await setUserRoles(deps, b, ['user', 'moderator'], a)).toEqual({ id: b, roles: ['user', 'moderator'] });
    await expect(setUserRoles(deps, a, ['user'], a)).rejects.toThrow(
      new ConflictError('Refused: this would leave no admin. Make another user an admin first.'),
    );
    await expect(deleteUser(deps, a)).rejects.toThrow(ConflictError);
    // Nothing changed: still an admin, same credentials version (its sessions live on).
    expect(await getUser(deps.table, a)).toMatchObject({ roles: ['user', 'admin'], credVersion: 0 });
    // Roles other than admin change freely, and a second admin makes the first removable again.
    expect((await setUserRoles(deps, a, ['user', 'moderator', 'admin'], a)).roles).toEqual(['user', 'moderator', 'admin']);
    await setUserRoles(deps, b, ['user', 'admin'], a);
    await deleteUser(deps, a);
    expect(await getUser(deps.table, a)).toBeUndefined();
    await expect(setUserRoles(deps, b, ['user'], b)).rejects.toThrow(ConflictError);
  });

  it('two admins demoting each other at once: exactly one wins, one admin stays (10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const deps = await freshDeps();
      const [a, b] = await twoAdmins(deps);
      const results = await Promise.allSettled([setUserRoles(deps, b, ['user'], a), setUserRoles(deps, a, ['user'], b)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(ConflictError);
      expect((await Promise.all([a, b].map(admins(deps)))).filter(Boolean)).toHaveLength(1);
    }
  });

  it('a demotion racing a deletion of the other admin, and two deletions: one admin stays (10 rounds each)', async () => {
    for (let round = 0; round < 10; round++) {
      const deps = await freshDeps();
      const [a, b] = await twoAdmins(deps);
      const mixed = await Promise.allSettled([deleteUser(deps, b), setUserRoles(deps, a, ['user'], a)]);
      expect(mixed.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await Promise.all([a, b].map(admins(deps)))).filter(Boolean)).toHaveLength(1);

      const again = await freshDeps();
      const [c, d] = await twoAdmins(again);
      const deletions = await Promise.allSettled([deleteUser(again, c), deleteUser(again, d)]);
      expect(deletions.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await Promise.all([c, d].map(admins(again)))).filter(Boolean)).toHaveLength(1);
    }
  });

  it('an admin from before the roster does not count (refused, never open) until the bootstrap has seen it', async () => {
    const deps = await freshDeps();
    const input = newUser('legacy');
    await ensureAdmin(deps, input);
    const legacy = (await findUserByUsername(deps.table, input.username))!;
    // As a table from before the roster holds it: the profile is an admin, the roster does not name it.
    await deps.table.client.send(
      new UpdateCommand({
        TableName: deps.table.name,
        Key: itemKeys.adminRoster(),
        UpdateExpression: 'DELETE ids :id',
        ExpressionAttributeValues: { ':id': new Set([legacy.id]) },
      }),
    );
    const other = await registerUser(deps, newUser('adminC'), ['user', 'admin'], undefined);
    await expect(setUserRoles(deps, other.id, ['user'], other.id)).rejects.toThrow(ConflictError);
    // npm start / admin:create run the bootstrap, which puts the existing admin on the roster.
    expect(await ensureAdmin(deps, input)).toBe('unchanged');
    expect((await setUserRoles(deps, other.id, ['user'], other.id)).roles).toEqual(['user']);
  });
});

/** Admins as a table from before the roster holds them: admin profiles, and no roster item at all. */
async function preRosterAdmins(deps: MailingDeps) {
  const ids = await twoAdmins(deps);
  await deps.table.client.send(new DeleteCommand({ TableName: deps.table.name, Key: itemKeys.adminRoster() }));
  expect(await adminRosterIds(deps.table)).toEqual(new Set());
  return ids;
}

/** `npm run migrate` as an operator runs it, pointed at this case's table in the tier's DynamoDB Local. */
function npmRunMigrate(tableName: string) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'migrate', '--', '--stage', 'local'],
      { cwd: join(__dirname, '../..'), env: { ...process.env, TABLE_NAME: tableName } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('the migration puts admins from before the roster on it', () => {
  it('enrols every admin, so one of two can be demoted and the last cannot; a second run writes nothing', async () => {
    const deps = await freshDeps();
    const [a, b] = await preRosterAdmins(deps);
    // The gap: two admins, and yet neither can be demoted (neither counts).
    await expect(setUserRoles(deps, a, ['user'], b)).rejects.toThrow(ConflictError);

    const run = await npmRunMigrate(deps.table.name);
    expect(run).toMatchObject({ code: 0, output: expect.stringContaining('admins put on the admin roster: 2 (on it already: 0;') });
    expect(run.output).toContain(`${deps.table.name}: done (2 admins put on the roster,`);
    expect(await adminRosterIds(deps.table)).toEqual(new Set([a, b]));

    // Again: the roster's part sends no write at all, and the report says nothing was done.
    let transactions = 0;
    const counted = interceptedTable(deps.table, async (command) => {
      if (command instanceof TransactWriteCommand) transactions++;
    });
    const lines: string[] = [];
    expect(await migrate(counted, (line) => lines.push(line))).toEqual({ adminsEnrolled: 0, adminsNotEnrolled: 0, profilesMoved: 0, claimsIndexed: 0 });
    expect(transactions).toBe(0);
    expect(lines).toContain('admins put on the admin roster: 0 (on it already: 2; no longer admins when enrolled, left off: 0)');
    expect(await adminRosterIds(deps.table)).toEqual(new Set([a, b]));

    expect((await setUserRoles(deps, a, ['user'], b)).roles).toEqual(['user']);
    await expect(setUserRoles(deps, b, ['user'], b)).rejects.toThrow(
      new ConflictError('Refused: this would leave no admin. Make another user an admin first.'),
    );
    await expect(deleteUser(deps, b)).rejects.toThrow(ConflictError);
  }, 60_000);

  it('an admin demoted between the index read and its enrolment is not enrolled (its demotion is never undone)', async () => {
    const deps = await freshDeps();
    const [a, b] = await preRosterAdmins(deps);
    let demoted = false;
    const racing = interceptedTable(deps.table, async (command) => {
      const first = command instanceof TransactWriteCommand ? command.input.TransactItems?.[0]?.ConditionCheck?.Key : undefined;
      if (demoted || first?.pk !== itemKeys.user(b).pk) return;
      demoted = true;
      // Right before the migration's write for b, which it listed as an admin: the bootstrap (or another
      // run) enrols both, and a takes b's admin role away, as allowed now that two admins count.
      await enrolAdmin(deps.table, a);
      await enrolAdmin(deps.table, b);
      await setUserRoles(deps, b, ['user'], a);
    });
    const report = await migrate(racing);
    expect(demoted).toBe(true);
    expect(report.adminsNotEnrolled).toBe(1);
    expect(await getUser(deps.table, b)).toMatchObject({ roles: ['user'] });
    expect(await adminRosterIds(deps.table)).toEqual(new Set([a]));
    // b is not counted as an admin, so the one real admin stays.
    await expect(setUserRoles(deps, a, ['user'], a)).rejects.toThrow(ConflictError);
  });
});
