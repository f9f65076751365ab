import { randomBytes, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { listUsersPage } from '../../lib/account/admin-users';
import { registerUser } from '../../lib/account/sign-up';
import type { PagingDeps } from '../../lib/account/types';
import { BadRequestError } from '../../lib/shared/errors';
import { itemKeys, LEGACY_USERS_PARTITION, NAME_SHARDS, USER_SHARDS, userShard } from '../../lib/store/item-keys';
import { createTables } from '../../scripts/dynamodb-local';
import { migrateToShardedIndex } from '../../lib/store/migrations';
import { createTable } from '../../lib/store/table';
import type { PublicUser } from '../../lib/store/user-list';
import { testAccountConfig } from '../support/account-config';
import { testKeySet } from '../support/keys';

// The sharded admin list (newest first across the index's 32 user shards), the prefix search (over its 64 name shards), and the migration
// of profiles written before the shards, against DynamoDB Local. Other test files add users to the same
// table, so each test checks its own users within the whole list.
const table = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
let clock = new Date('2030-01-01T00:00:00Z');
let deps: PagingDeps;

beforeAll(async () => {
  deps = { table, keys: (await testKeySet()).keys, now: () => clock, client: { userAgent: 'jest', ip: '127.0.0.1' }, config: testAccountConfig };
});
afterAll(() => table.client.destroy());

async function allPages(query: { limit: string; search?: string }): Promise<{ users: PublicUser[]; pages: number }> {
  const users: PublicUser[] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listUsersPage(deps, { ...query, ...(cursor ? { cursor } : {}) });
    expect(page.users.length).toBeLessThanOrEqual(Number(query.limit));
    users.push(...page.users);
    cursor = page.nextCursor ?? undefined;
    if (cursor !== undefined) cursors.push(cursor);
  } while (cursor);
  // One sort key, signed: small whatever the number of shards (a query string has to carry it). Pages
  // are counted by their cursors, so a caller's "at least N pages" also says how many were checked.
  expect(cursors.filter((signed) => signed.length >= 300)).toEqual([]);
  return { users, pages: cursors.length + 1 };
}

const tag = () => randomBytes(3).toString('hex');

async function register(username: string, email: string) {
  clock = new Date(clock.getTime() + 1000);
  return registerUser(deps, { username, email, password: 'a password' }, ['user'], undefined);
}

describe('the admin list', () => {
  it('is newest first across the shards, page after page, each user once', async () => {
    const mine = new Set<string>();
    const shards = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const user = await register(`list_${tag()}_${i}`, `list_${tag()}_${i}@example.com`);
      mine.add(user.id);
      shards.add(userShard(user.id));
    }
    expect(shards.size).toBeGreaterThanOrEqual(8);
    const { users, pages } = await allPages({ limit: '7' });
    const order = users.map((user) => `${user.createdAt}#${user.id}`);
    expect(order).toEqual([...order].sort().reverse());
    expect(new Set(order).size).toBe(order.length);
    const listed = users.filter((user) => mine.has(user.id));
    expect(listed).toHaveLength(40);
    // Newest first: the last one registered leads.
    expect(listed[0]!.createdAt > listed[39]!.createdAt).toBe(true);
    expect(pages).toBeGreaterThanOrEqual(6);
    expect(listed[0]).toEqual({
      id: expect.any(String),
      username: expect.any(String),
      email: expect.any(String),
      roles: ['user'],
      createdAt: expect.any(String),
      mfaEnabled: false,
      emailVerified: false,
    });
  });

  it('refuses a cursor it did not issue: edited, forged, or from a search', async () => {
    await register(`cur_${tag()}`, `cur_${tag()}@example.com`);
    await register(`cur_${tag()}`, `cur_${tag()}@example.com`);
    const first = await listUsersPage(deps, { limit: '1' });
    const cursor = first.nextCursor!;
    const [body, mac] = cursor.split('.') as [string, string];
    const edited = `${Buffer.from(Buffer.from(body, 'base64url').toString().replace('"users"', '"user5"')).toString('base64url')}.${mac}`;
    for (const bad of [edited, `${body}.${'A'.repeat(mac.length)}`, 'not-a-cursor', `${body}.`]) {
      await expect(listUsersPage(deps, { limit: '1', cursor: bad })).rejects.toThrow(new BadRequestError('cursor is invalid'));
    }
    const search = await listUsersPage(deps, { limit: '1', search: 'cur_' });
    await expect(listUsersPage(deps, { limit: '1', cursor: search.nextCursor! })).rejects.toThrow(BadRequestError);
    // A search cursor is bound to its text.
    await expect(listUsersPage(deps, { limit: '1', search: 'cur_x', cursor: search.nextCursor! })).rejects.toThrow(BadRequestError);
  });
});

describe('the last page', () => {
  // A table of its own, so the users in it are exactly these (other files add users to the shared one).
  it('has no nextCursor when it ends exactly at the last user, list and search alike, at one query per partition', async () => {
    const name = `list-exact-${tag()}`;
    await createTables(process.env.DYNAMODB_ENDPOINT!, name);
    const own = createTable({ tableName: name, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
    let queries = 0;
    own.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries++;
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    const ownDeps = { ...deps, table: own };
    try {
      const t = tag();
      for (let i = 0; i < 5; i++) {
        clock = new Date(clock.getTime() + 1000);
        await registerUser(ownDeps, { username: `exact${t}_${i}`, email: `exact${t}_${i}@example.com`, password: 'a password' }, ['user'], undefined);
      }
      const page = async (query: { limit: string; search?: string; cursor?: string }) => {
        queries = 0;
        const answer = await listUsersPage(ownDeps, query);
        return { count: answer.users.length, more: answer.nextCursor !== null, queries, nextCursor: answer.nextCursor };
      };
      const perList = USER_SHARDS + 1;
      expect(await page({ limit: '5' })).toMatchObject({ count: 5, more: false, queries: perList });
      expect(await page({ limit: '6' })).toMatchObject({ count: 5, more: false, queries: perList });
      const first = await page({ limit: '4' });
      expect(first).toMatchObject({ count: 4, more: true, queries: perList });
      expect(await page({ limit: '4', cursor: first.nextCursor! })).toMatchObject({ count: 1, more: false, queries: perList });
      const split = await page({ limit: '2' });
      const second = await page({ limit: '2', cursor: split.nextCursor! });
      expect(second).toMatchObject({ count: 2, more: true });
      expect(await page({ limit: '1', cursor: second.nextCursor! })).toMatchObject({ count: 1, more: false });

      // The search (its index holds a username and an email entry per user: ten entries match `exact…`).
      expect(await page({ limit: '10', search: `exact${t}` })).toMatchObject({ count: 5, more: false, queries: NAME_SHARDS });
      expect(await page({ limit: '1', search: `exact${t}_3@` })).toMatchObject({ count: 1, more: false, queries: NAME_SHARDS });
    } finally {
      own.client.destroy();
    }
  });
});

describe('the admin search', () => {
  it('finds users whose username or email starts with the text, case-insensitively, in value order, page by page', async () => {
    const t = tag();
    const byName = [
      await register(`srch${t}_b`, `b_${t}@example.com`),
      await register(`srch${t}_a`, `a_${t}@example.com`),
      await register(`srch${t}_c`, `c_${t}@example.com`),
    ];
    const byEmail = await register(`other_${t}`, `srch${t}_mail@example.com`);
    // Both its username and its email start with the text: listed once.
    const both = await register(`srch${t}_d`, `srch${t}_d@example.com`);
    await register(`nomatch_${t}`, `nomatch_${t}@example.com`);
    const { users, pages } = await allPages({ limit: '2', search: `SRCH${t.toUpperCase()}` });
    expect(users.map((user) => user.id)).toEqual([byName[1]!.id, byName[0]!.id, byName[2]!.id, both.id, byEmail.id]);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect((await allPages({ limit: '10', search: `a_${t}@` })).users.map((user) => user.username)).toEqual([`srch${t}_a`]);
    expect((await allPages({ limit: '10', search: `zz${t}` })).users).toEqual([]);
  });
});

describe('the migration to the sharded index', () => {
  it('keeps users written before it listed, moves them to their shard, indexes their claims, and is safe to run again', async () => {
    const t = tag();
    const legacy = Array.from({ length: 3 }, (_, i) => {
      const id = randomUUID();
      const username = `legacy${t}_${i}`;
      return { id, username, email: `${username}@example.com`, createdAt: new Date(clock.getTime() + (i + 1) * 1000).toISOString() };
    });
    for (const user of legacy) {
      // As the code before issue 17 wrote them: one index partition, claims without search keys.
      await table.client.send(
        new PutCommand({
          TableName: table.name,
          Item: {
            ...itemKeys.user(user.id),
            gsi1pk: LEGACY_USERS_PARTITION,
            gsi1sk: `${user.createdAt}#${user.id}`,
            type: 'user',
            ...user,
            passwordHash: 'x',
            roles: ['user'],
            credVersion: 0,
          },
        }),
      );
      await table.client.send(new PutCommand({ TableName: table.name, Item: { ...itemKeys.usernameClaim(user.username), userId: user.id } }));
      await table.client.send(new PutCommand({ TableName: table.name, Item: { ...itemKeys.emailClaim(user.email), userId: user.id } }));
    }
    const listedIds = async () => (await allPages({ limit: '50' })).users.map((user) => user.id);
    // Read in both shapes before the migration: listed, not yet searchable.
    expect(await listedIds()).toEqual(expect.arrayContaining(legacy.map((user) => user.id)));
    expect((await allPages({ limit: '10', search: `legacy${t}` })).users).toEqual([]);

    const report = await migrateToShardedIndex(table);
    expect(report.profilesMoved).toBeGreaterThanOrEqual(3);
    expect(report.claimsIndexed).toBeGreaterThanOrEqual(6);
    for (const user of legacy) {
      const item = (await table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.user(user.id) }))).Item!;
      expect(item.gsi1pk).toBe(`USERS#${userShard(user.id)}`);
    }
    const ids = await listedIds();
    for (const user of legacy) expect(ids.filter((id) => id === user.id)).toHaveLength(1);
    expect((await allPages({ limit: '10', search: `legacy${t}` })).users.map((user) => user.username)).toEqual(legacy.map((user) => user.username));

    // Again: nothing left to do.
    expect(await migrateToShardedIndex(table)).toEqual({ profilesMoved: 0, claimsIndexed: 0 });
  });
});
