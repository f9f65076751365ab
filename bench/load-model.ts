/**
 * The load model of `npm run bench` (issue 17): which DynamoDB partitions each operation reads and
 * writes, from the commands the real code sends (recorded on the client while the cost model runs the
 * operations in-process), and how hard the busiest partition of each kind is hit at 1M MAU and in a
 * burst of 10,000 sign-ups a second, against DynamoDB's per-partition limits.
 */
import type { Table } from '../lib/store/table';
import type { Units } from './cost';
import { NAME_SHARDS, USER_SHARDS, userShard } from '../lib/store/item-keys';

/** A write of up to 1 KB inside a transaction, in the table and in each index it reaches (AWS's pricing rule). */
export const TRANSACTION_UNITS_PER_ITEM = 2;

/** DynamoDB's limits for one partition (on-demand and provisioned alike). */
export const PARTITION_LIMITS = { read: 3000, write: 1000 };

/**
 * A kind of partition key, and how its load spreads: over each user's own keys, over a fixed number of
 * shards, or onto keys an attacker can aim at (one IP, one username).
 */
interface KeyClass {
  name: string;
  spread: 'per-user' | 'per-ip' | 'per-name' | { shards: number };
}

/** The kind of a partition key (table or index), with ids, hashes, names and addresses taken out. */
function classify(partition: string, index: string | undefined): KeyClass {
  const at = index ? `${index}:` : '';
  if (index === 'byType' && partition.startsWith('USERS#')) return { name: `${at}USERS#{shard}`, spread: { shards: USER_SHARDS } };
  if (index === 'byType' && partition === 'USER') return { name: `${at}USER (legacy, before npm run migrate)`, spread: { shards: 1 } };
  if (index === 'byName') return { name: `${at}NAMES#{shard}`, spread: { shards: NAME_SHARDS } };
  const [head, scope] = partition.split('#');
  if (head === 'ATTEMPTS') {
    if (scope === 'ip' || scope === 'mail-ip') return { name: `${at}ATTEMPTS#${scope}#{ip}`, spread: 'per-ip' };
    if (scope === 'username') return { name: `${at}ATTEMPTS#username#{name}`, spread: 'per-name' };
    return { name: `${at}ATTEMPTS#${scope}#{user}`, spread: 'per-user' };
  }
  const placeholder: Record<string, string> = {
    USER: '{user}',
    USERNAME: '{name}',
    EMAIL: '{email}',
    REFRESH: '{token}',
    TOKENS: '{user}',
    EMAILTOKEN: '{token}',
    MAILQUOTA: '{email}',
    MFA: '{challenge}',
  };
  return { name: `${at}${head}#${placeholder[head ?? ''] ?? '…'}`, spread: 'per-user' };
}

type Recorded = Map<string, { keyClass: KeyClass; units: Units }>;

const READS = new Set(['GetCommand', 'BatchGetCommand', 'QueryCommand', 'ScanCommand', 'TransactGetCommand']);

/** A command's input or an item as the document client sees it: free-form JSON. */
// biome-ignore lint/suspicious/noExplicitAny: SDK command inputs are read by shape here.
type Loose = Record<string, any>;

/** The base-table partitions and the index partitions a command touches, from its input. */
function touched(command: string, input: Loose): { table: string[]; indexes: Record<string, string[]> } {
  const table: string[] = [];
  const indexes: Record<string, string[]> = { byType: [], byName: [] };
  const item = (entry: Loose | undefined, writes: boolean) => {
    if (!entry) return;
    const key = entry.Item ?? entry.Key;
    if (typeof key?.pk !== 'string') return;
    table.push(key.pk);
    if (!writes) return;
    // Index partitions a write reaches: a new item's own index keys, or a profile's shard.
    if (typeof key.gsi1pk === 'string') indexes.byType!.push(key.gsi1pk);
    else if (key.pk.startsWith('USER#') && key.sk === 'PROFILE') indexes.byType!.push(`USERS#${userShard(key.pk.slice(5))}`);
    if (typeof key.gsi2pk === 'string') indexes.byName!.push(key.gsi2pk);
  };
  const writes = !READS.has(command);
  if (command === 'QueryCommand') {
    const partition =
      input.ExpressionAttributeValues?.[':pk'] ?? input.ExpressionAttributeValues?.[':partition'] ?? Object.values(input.ExpressionAttributeValues ?? {})[0];
    if (input.IndexName) indexes[input.IndexName] = [...(indexes[input.IndexName] ?? []), String(partition)];
    else table.push(String(partition));
  } else if (command === 'TransactWriteCommand') {
    for (const entry of input.TransactItems ?? []) item(entry.Put ?? entry.Update ?? entry.Delete ?? entry.ConditionCheck, true);
  } else if (command === 'BatchGetCommand') {
    for (const request of Object.values(input.RequestItems ?? {}) as { Keys: Record<string, string>[] }[])
      for (const key of request.Keys) item({ Key: key }, false);
  } else if (command === 'BatchWriteCommand') {
    for (const requests of Object.values(input.RequestItems ?? {}) as Loose[][]) {
      for (const request of requests) item({ Key: request.DeleteRequest?.Key ?? request.PutRequest?.Item }, true);
    }
  } else {
    item(input, writes);
  }
  return { table, indexes };
}

/**
 * Records, for every call made through `table`, the request units DynamoDB reports for the table and
 * for each index (`ReturnConsumedCapacity: INDEXES`, which DynamoDB Local reports as DynamoDB does),
 * shared out evenly over the partitions the call touches there (an approximation for transactions and
 * batches, whose units are reported per table, not per item).
 */
export function recordPartitions(table: Table): { take(): Recorded } {
  // (Transactions are counted by AWS's rule: see below.)
  let recorded: Recorded = new Map();
  const add = (partition: string, index: string | undefined, units: Units) => {
    const keyClass = classify(partition, index);
    const entry = recorded.get(keyClass.name) ?? { keyClass, units: { read: 0, write: 0 } };
    entry.units.read += units.read;
    entry.units.write += units.write;
    recorded.set(keyClass.name, entry);
  };
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Loose;
      input.ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      // The document client's commands run as the low-level ones (GetItemCommand, TransactWriteItemsCommand).
      const command = (context.commandName ?? '').replace(/Items?Command$/, 'Command');
      const write = !READS.has(command);
      const { table: partitions, indexes } = touched(command, input);
      const consumed = [(result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity ?? []].flat() as {
        Table?: { CapacityUnits?: number };
        GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
      }[];
      if (command === 'TransactWriteCommand') {
        // DynamoDB Local under-reports transactions (4 table units and 2 per index for a three-item
        // transaction that costs 6, and 4 on the index of two of them): AWS's rule instead, 2 units per
        // item of up to 1 KB, in the table and in each index partition it reaches (ours are all < 1 KB).
        for (const partition of partitions) add(partition, undefined, { read: 0, write: TRANSACTION_UNITS_PER_ITEM });
        for (const [index, reached] of Object.entries(indexes))
          for (const partition of reached) add(partition, index, { read: 0, write: TRANSACTION_UNITS_PER_ITEM });
        return result;
      }
      for (const capacity of consumed) {
        const share = (units: number, count: number): Units => (write ? { read: 0, write: units / count } : { read: units / count, write: 0 });
        const tableUnits = capacity.Table?.CapacityUnits ?? 0;
        for (const partition of partitions) add(partition, undefined, share(tableUnits, partitions.length));
        for (const [index, { CapacityUnits = 0 }] of Object.entries(capacity.GlobalSecondaryIndexes ?? {})) {
          const reached = indexes[index] ?? [];
          for (const partition of reached) add(partition, index, share(CapacityUnits, reached.length));
        }
      }
      return result;
    },
    { step: 'initialize', name: 'benchPartitionLoad', override: true },
  );
  return {
    take() {
      const taken = recorded;
      recorded = new Map();
      return taken;
    },
  };
}

/** Per operation, the units it puts on each kind of key (averaged over the runs recorded). */
export type OperationLoad = Record<string, Recorded>;

export interface LoadRow {
  key: string;
  spread: string;
  /** Units a second on the busiest single key of this kind, and the share of the partition's limit. */
  readPerSecond: number;
  writePerSecond: number;
  ofLimit: number;
  note: string;
}

const SECONDS_PER_MONTH = 30 * 86_400;

/**
 * The busiest key of each kind under a rate of operations per second. Sharded keys carry the total over
 * their shard count; a user's own keys carry one user's rate (at most what one client can send: the
 * stage's per-route throttling, 50 a second on the public routes); keys an attacker aims at (one IP, one
 * username) get the same cap, and the row says what happens beyond it.
 */
export function busiestKeys(load: OperationLoad, ratePerSecond: Record<string, number>, perUserRate: Record<string, number>): LoadRow[] {
  const rows = new Map<string, { keyClass: KeyClass; read: number; write: number }>();
  for (const [operation, recorded] of Object.entries(load)) {
    const total = ratePerSecond[operation] ?? 0;
    for (const { keyClass, units } of recorded.values()) {
      const rate = typeof keyClass.spread === 'object' ? total / keyClass.spread.shards : Math.min(total, perUserRate[operation] ?? 0);
      const row = rows.get(keyClass.name) ?? { keyClass, read: 0, write: 0 };
      row.read += units.read * rate;
      row.write += units.write * rate;
      rows.set(keyClass.name, row);
    }
  }
  return [...rows.values()]
    .map(({ keyClass, read, write }) => {
      const ofLimit = Math.max(read / PARTITION_LIMITS.read, write / PARTITION_LIMITS.write);
      const spread = typeof keyClass.spread === 'object' ? `1 of ${keyClass.spread.shards} shards` : keyClass.spread;
      const aimed = keyClass.spread === 'per-ip' || keyClass.spread === 'per-name';
      return {
        key: keyClass.name,
        spread,
        readPerSecond: read,
        writePerSecond: write,
        ofLimit,
        note: aimed
          ? 'an attacker can aim at one: past the limit only this key throttles; its requests get 503 (others are untouched); API Gateway throttling caps it first'
          : ofLimit > 1
            ? 'OVER the partition limit'
            : '',
      };
    })
    .sort((a, b) => b.ofLimit - a.ofLimit);
}

/** The operations a month per MAU (the cost model's usage), as a rate per second at `mau`, times `peak`. */
export function usageRate(usagePerMau: Record<string, number>, mau: number, peak: number): Record<string, number> {
  return Object.fromEntries(Object.entries(usagePerMau).map(([operation, perMonth]) => [operation, (perMonth * mau * peak) / SECONDS_PER_MONTH]));
}

export function printLoadTable(title: string, rows: LoadRow[]): string {
  const lines = [title, '', 'partition key (kind)                         spread              RCU/s     WCU/s   of limit  note'];
  for (const row of rows.slice(0, 12)) {
    lines.push(
      `${row.key.padEnd(44)} ${row.spread.padEnd(16)} ${row.readPerSecond.toFixed(1).padStart(8)} ${row.writePerSecond.toFixed(1).padStart(9)} ${`${(row.ofLimit * 100).toFixed(1)}%`.padStart(10)}  ${row.note}`,
    );
  }
  return lines.join('\n');
}
