import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { deleteUser, setUserRoles } from '../../lib/account/admin-users';
import { ensureAdmin } from '../../lib/account/bootstrap';
import { registerUser } from '../../lib/account/sign-up';
import type { MailingDeps } from '../../lib/account/types';
import { ConflictError } from '../../lib/shared/errors';
import { createTable, type Table } from '../../lib/store/table';
import { findUserByUsername, getUser } from '../../lib/store/users';
import { keys } from '../../lib/store/keys';
import { createTables } from '../../scripts/dynamodb-local';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
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
    await expect(setUserRoles(deps, a, ['user'], a)).rejects.toThrow(new ConflictError('Refused: this would leave no admin. Make another user an admin first.'));
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
      new UpdateCommand({ TableName: deps.table.name, Key: keys.adminRoster(), UpdateExpression: 'DELETE ids :id', ExpressionAttributeValues: { ':id': new Set([legacy.id]) } }),
    );
    const other = await registerUser(deps, newUser('adminC'), ['user', 'admin'], undefined);
    await expect(setUserRoles(deps, other.id, ['user'], other.id)).rejects.toThrow(ConflictError);
    // npm start / admin:create run the bootstrap, which puts the existing admin on the roster.
    expect(await ensureAdmin(deps, input)).toBe('unchanged');
    expect((await setUserRoles(deps, other.id, ['user'], other.id)).roles).toEqual(['user']);
  });
});
