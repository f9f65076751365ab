import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BadRequestError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { readCursor, signCursor } from './cursor';
import { itemKeys, LEGACY_USERS_PARTITION, NAME_SHARDS, NAMES_INDEX, namesPartition, USER_SHARDS, USERS_INDEX, usersPartition } from './item-keys';
import { guarded, type Table } from './table';
import type { User } from './users';

/** A user as the admin list shows it: no password hash (the index does not even hold it). */
export type PublicUser = Omit<User, 'passwordHash' | 'credVersion'>;
type Page = { users: PublicUser[]; nextCursor: string | null };

/** One index partition read in order: the index, its key attribute names, the partition, the order. */
interface Source {
  index: string;
  pkName: string;
  skName: string;
  partition: string;
  descending: boolean;
  /** Only sort keys that begin with this (the search). */
  prefix?: string;
}

/** The largest code point: `prefix + TOP` is at or after every string that begins with `prefix`. */
const TOP = String.fromCodePoint(0x10ffff);

/**
 * One page of `limit` items merged from several index partitions, each read in its sort order (a k-way
 * merge): every partition is queried for at most `limit + 1` items past `after` (the last sort key of the
 * previous page), and the first `limit` of all of them in order are taken. Sort keys are unique across
 * the partitions, so `after` alone says where every partition stands: the cursor stays small however many
 * partitions there are, and no item is skipped or repeated. A page costs one query per partition.
 *
 * The one item more per partition is the look-ahead that makes the last page exact: a page that ends at
 * the last item has no `after` (no cursor to a page of nothing). It costs nothing extra in read units for
 * usual pages (a query is billed by the 4 KB of items read, not by their number).
 */
async function mergedPage(
  table: Table,
  sources: Source[],
  after: string | undefined,
  limit: number,
): Promise<{ items: Record<string, unknown>[]; after?: string }> {
  const pages = await Promise.all(
    sources.map(async (source) => {
      const names = { '#pk': source.pkName, '#sk': source.skName };
      let condition = '#pk = :pk';
      let values: Record<string, string> = { ':pk': source.partition };
      if (source.prefix !== undefined && after === undefined) {
        condition += ' AND begins_with(#sk, :prefix)';
        values = { ...values, ':prefix': source.prefix };
      } else if (source.prefix !== undefined && after !== undefined) {
        // Past `after`, still within the prefix (BETWEEN is inclusive: start just after it).
        condition += ' AND #sk BETWEEN :from AND :to';
        values = { ...values, ':from': `${after}\u0000`, ':to': `${source.prefix}${TOP}` };
      } else if (after !== undefined) {
        condition += source.descending ? ' AND #sk < :after' : ' AND #sk > :after';
        values = { ...values, ':after': after };
      }
      const result = await guarded(table, (options) =>
        table.client.send(
          new QueryCommand({
            TableName: table.name,
            IndexName: source.index,
            KeyConditionExpression: condition,
            ExpressionAttributeNames: condition.includes('#sk') ? names : { '#pk': source.pkName },
            ExpressionAttributeValues: values,
            ScanIndexForward: !source.descending,
            Limit: limit + 1,
          }),
          options,
        ),
      );
      // Stopped short of Limit (DynamoDB's 1 MB per query) with more behind: nothing says this partition is done.
      const cutShort = result.LastEvaluatedKey !== undefined && (result.Items?.length ?? 0) <= limit;
      return { cutShort, entries: (result.Items ?? []).map((item) => ({ item, key: String(item[source.skName]) })) };
    }),
  );
  // In DynamoDB's order: by UTF-8 bytes (JavaScript compares UTF-16 units, which differs past U+FFFF).
  const direction = sources[0]?.descending ? -1 : 1;
  const all = pages.flatMap((page) => page.entries).sort((a, b) => direction * Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8')));
  const taken = all.slice(0, limit);
  // More behind this page: an item read past it, or a partition that could not say it was done.
  const more = all.length > limit || pages.some((page) => page.cutShort);
  return { items: taken.map(({ item }) => item), ...(more && taken.length > 0 ? { after: taken[taken.length - 1]?.key } : {}) };
}

/** Where the page a signed cursor continues from starts; a cursor the service did not issue is a 400. */
function afterFrom(cursor: string | undefined, secret: Uint8Array, expected: Record<string, unknown>): string | undefined {
  if (cursor === undefined) return undefined;
  const opened = readCursor(cursor, secret) as Record<string, unknown> | undefined;
  const matches = opened !== undefined && Object.entries(expected).every(([name, value]) => opened[name] === value);
  if (!matches || typeof opened?.after !== 'string') throw new BadRequestError(MESSAGES.cursorInvalid);
  return opened.after;
}

function nextCursor(after: string | undefined, secret: Uint8Array, position: Record<string, unknown>): string | null {
  return after === undefined ? null : signCursor({ ...position, after }, secret);
}

const toPublic = ({ id, username, email, roles, createdAt, mfaEnabled, emailVerified }: Record<string, unknown>) =>
  ({ id, username, email, roles, createdAt, mfaEnabled: mfaEnabled === true, emailVerified: emailVerified === true }) as PublicUser;

/** The user list's partitions: the shards, and the one partition of profiles not yet migrated. */
const USER_SOURCES: Source[] = [...Array.from({ length: USER_SHARDS }, (_, shard) => usersPartition(shard)), LEGACY_USERS_PARTITION].map((partition) => ({
  index: USERS_INDEX,
  pkName: 'gsi1pk',
  skName: 'gsi1sk',
  partition,
  descending: true,
}));

/**
 * One page of users, newest first, merged from the sharded index (and the legacy partition, until
 * `npm run migrate` has emptied it). The cursor holds the last sort key, signed (HMAC, ./cursor.ts) with
 * `secret`.
 */
export async function listUsers(table: Table, limit: number, cursor: string | undefined, secret: Uint8Array): Promise<Page> {
  const position = { kind: 'users' };
  const page = await mergedPage(table, USER_SOURCES, afterFrom(cursor, secret, position), limit);
  return { users: page.items.map(toPublic), nextCursor: nextCursor(page.after, secret, position) };
}

/**
 * One page of users whose username or email starts with `prefix` (already normalised: NFKC, lower
 * case), ordered by the matching value: prefix queries on the names index, one per shard, merged; the
 * profiles then read by key (public attributes only). A user matching by both username and email is
 * listed once, by its username. The cursor is bound to the prefix.
 */
export async function searchUsers(table: Table, prefix: string, limit: number, cursor: string | undefined, secret: Uint8Array): Promise<Page> {
  const sources: Source[] = Array.from({ length: NAME_SHARDS }, (_, shard) => ({
    index: NAMES_INDEX,
    pkName: 'gsi2pk',
    skName: 'gsi2sk',
    partition: namesPartition(shard),
    descending: false,
    prefix,
  }));
  const position = { kind: 'search', prefix };
  const page = await mergedPage(table, sources, afterFrom(cursor, secret, position), limit);
  const profiles = await profilesById(table, [...new Set(page.items.map((item) => String(item.userId)))]);
  const users = page.items
    .filter((item) => {
      const user = profiles.get(String(item.userId));
      // Listed once: an email match is dropped when the username matches too (it is listed by that).
      const byEmail = String(item.pk).startsWith('EMAIL#');
      return user !== undefined && !(byEmail && String(user.username).toLowerCase().startsWith(prefix));
    })
    .flatMap((item) => {
      const profile = profiles.get(String(item.userId));
      return profile ? [toPublic(profile)] : [];
    });
  return { users, nextCursor: nextCursor(page.after, secret, position) };
}

/** Profiles by id, public attributes only (the search function may read no others: its IAM policy). */
async function profilesById(table: Table, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < ids.length; i += 100) {
    let request: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map((id) => itemKeys.user(id));
    for (let attempt = 0; request?.length && attempt < 5; attempt++) {
      const keysToRead = request;
      const result = await guarded(table, (options) =>
        table.client.send(
          new BatchGetCommand({
            RequestItems: {
              [table.name]: {
                Keys: keysToRead,
                ProjectionExpression: 'id, username, email, #roles, createdAt, mfaEnabled, emailVerified',
                ExpressionAttributeNames: { '#roles': 'roles' },
              },
            },
          }),
          options,
        ),
      );
      for (const item of result.Responses?.[table.name] ?? []) found.set(String(item.id), item);
      request = result.UnprocessedKeys?.[table.name]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return found;
}
