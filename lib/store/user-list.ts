import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BadRequestError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { openCursor, sealCursor } from './cursor';
import { keys, LEGACY_USERS_PARTITION, NAME_SHARDS, NAMES_INDEX, namesPartition, USER_SHARDS, USERS_INDEX, usersPartition } from './keys';
import { guarded, type Table } from './table';
import type { User } from './users';

/** A user as the admin list shows it: no password hash (the index does not even hold it). */
export type PublicUser = Omit<User, 'passwordHash' | 'credVersion'>;
type Page = { users: PublicUser[]; nextCursor: string | null };

/**
 * Where a partition's reading stands: not started (null), done (false), or after the item with this
 * key ([index sort key, pk, sk]).
 */
type Position = null | false | [string, string, string];

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

/**
 * One page of `limit` items merged from several index partitions, each read in its sort order (a k-way
 * merge): every partition is queried for at most `limit` items after its position, the first `limit`
 * of all of them in order are taken, and each partition's position moves past what was taken from it.
 * So a page costs one query per partition whatever the table's size, and no item is skipped or repeated.
 */
async function mergedPage(
  table: Table,
  sources: Source[],
  positions: Position[],
  limit: number,
): Promise<{ items: Record<string, unknown>[]; positions: Position[] }> {
  const pages = await Promise.all(
    sources.map(async (source, i) => {
      const position = positions[i];
      if (position === false) return { items: [], more: false };
      const result = await guarded(table, (options) =>
        table.client.send(
          new QueryCommand({
            TableName: table.name,
            IndexName: source.index,
            KeyConditionExpression: source.prefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': source.pkName, ...(source.prefix === undefined ? {} : { '#sk': source.skName }) },
            ExpressionAttributeValues: { ':pk': source.partition, ...(source.prefix === undefined ? {} : { ':prefix': source.prefix }) },
            ScanIndexForward: !source.descending,
            Limit: limit,
            ExclusiveStartKey: position ? { [source.pkName]: source.partition, [source.skName]: position[0], pk: position[1], sk: position[2] } : undefined,
          }),
          options,
        ),
      );
      return { items: result.Items ?? [], more: result.LastEvaluatedKey !== undefined };
    }),
  );
  // Each partition's remaining items, in order; the next item is always the first of some queue.
  const queues = pages.map((page) => [...page.items]);
  const taken = pages.map(() => 0);
  const before = (a: Record<string, unknown>, b: Record<string, unknown>, source: Source) => {
    const [x, y] = [String(a[source.skName]), String(b[source.skName])];
    return source.descending ? x > y : x < y;
  };
  const items: Record<string, unknown>[] = [];
  while (items.length < limit) {
    let best: number | undefined;
    queues.forEach((queue, i) => {
      const head = queue[0];
      const bestHead = best === undefined ? undefined : queues[best]?.[0];
      if (head !== undefined && (bestHead === undefined || before(head, bestHead, sources[i] as Source))) best = i;
    });
    const head = best === undefined ? undefined : queues[best]?.shift();
    if (best === undefined || head === undefined) break;
    items.push(head);
    taken[best] = (taken[best] ?? 0) + 1;
  }
  const next = positions.map((position, i): Position => {
    const page = pages[i] ?? { items: [], more: false };
    const count = taken[i] ?? 0;
    if (count === page.items.length && !page.more) return false;
    const last = page.items[count - 1];
    if (last === undefined) return position ?? null;
    const skName = sources[i]?.skName ?? '';
    return [String(last[skName]), String(last.pk), String(last.sk)];
  });
  return { items, positions: next };
}

/** The positions a sealed cursor holds for `count` sources; a cursor the service did not issue is a 400. */
function positionsFrom(cursor: string | undefined, secret: Uint8Array, kind: string, count: number): Position[] {
  if (cursor === undefined) return Array.from({ length: count }, () => null);
  const opened = openCursor(cursor, secret) as { kind?: unknown; at?: unknown } | undefined;
  const valid =
    opened?.kind === kind &&
    Array.isArray(opened.at) &&
    opened.at.length === count &&
    opened.at.every((p) => p === null || p === false || (Array.isArray(p) && p.length === 3 && p.every((part) => typeof part === 'string')));
  if (!valid) throw new BadRequestError(MESSAGES.cursorInvalid);
  return opened.at as Position[];
}

function nextCursor(positions: Position[], secret: Uint8Array, kind: string, extra: Record<string, unknown> = {}): string | null {
  return positions.every((p) => p === false) ? null : sealCursor({ kind, ...extra, at: positions }, secret);
}

const toPublic = ({ id, username, email, roles, createdAt, mfaEnabled, emailVerified }: Record<string, unknown>) =>
  ({ id, username, email, roles, createdAt, mfaEnabled: mfaEnabled === true, emailVerified: emailVerified === true }) as PublicUser;

/** The user list's partitions: the shards, and the one partition of profiles not yet migrated. */
const USER_SOURCES: Source[] = [...Array.from({ length: USER_SHARDS }, (_, shard) => usersPartition(shard)), LEGACY_USERS_PARTITION].map(
  (partition) => ({ index: USERS_INDEX, pkName: 'gsi1pk', skName: 'gsi1sk', partition, descending: true }),
);

/**
 * One page of users, newest first, merged from the sharded index (and the legacy partition, until
 * `npm run migrate` has emptied it). The cursor holds every partition's position, sealed (./cursor.ts)
 * with `secret`.
 */
export async function listUsers(table: Table, limit: number, cursor: string | undefined, secret: Uint8Array): Promise<Page> {
  const page = await mergedPage(table, USER_SOURCES, positionsFrom(cursor, secret, 'users', USER_SOURCES.length), limit);
  return { users: page.items.map(toPublic), nextCursor: nextCursor(page.positions, secret, 'users') };
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
  const opened = cursor === undefined ? undefined : (openCursor(cursor, secret) as { prefix?: unknown } | undefined);
  if (cursor !== undefined && opened?.prefix !== prefix) throw new BadRequestError(MESSAGES.cursorInvalid);
  const page = await mergedPage(table, sources, positionsFrom(cursor, secret, 'search', sources.length), limit);
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
  return { users, nextCursor: nextCursor(page.positions, secret, 'search', { prefix }) };
}

/** Profiles by id, public attributes only (the search function may read no others: its IAM policy). */
async function profilesById(table: Table, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < ids.length; i += 100) {
    let request: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map((id) => keys.user(id));
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
