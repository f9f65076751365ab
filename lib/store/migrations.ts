import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { claimIndexKeys, keys, LEGACY_USERS_PARTITION, USER_SHARDS, USERS_INDEX, userIndexKeys, usersPartition } from './keys';
import { conditionally, queryEach, type Table } from './table';
import { normalizeIdentifier } from './users';

export interface MigrationReport {
  /** Profiles moved from the legacy `USER` index partition to their shard. */
  profilesMoved: number;
  /** Username and email claims given their names-index keys (the admin search). */
  claimsIndexed: number;
}

/** Every profile in one index partition (its public index attributes: id, username, email, createdAt). */
function profilesIn(table: Table, partition: string): AsyncGenerator<Record<string, unknown>> {
  return queryEach(table, { IndexName: USERS_INDEX, KeyConditionExpression: 'gsi1pk = :partition', ExpressionAttributeValues: { ':partition': partition } });
}

/**
 * Issue 17's one-off migration (`npm run migrate`): moves profiles off the single `USER` partition of the
 * admin index onto their shards, and gives every username and email claim its names-index keys. Every
 * write is conditional on the old shape (`gsi1pk = USER`; a claim without index keys that still points at
 * its user), so running it again, or again after an interruption, changes only what is left, and a user
 * who signs up, changes or is deleted meanwhile is never overwritten. Reads the index, never scans.
 */
export async function migrateToShardedIndex(table: Table, progress: (line: string) => void = () => undefined): Promise<MigrationReport> {
  const report: MigrationReport = { profilesMoved: 0, claimsIndexed: 0 };
  for await (const profile of profilesIn(table, LEGACY_USERS_PARTITION)) {
    const id = String(profile.id);
    const moved = await conditionally(table, (options) =>
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: keys.user(id),
          UpdateExpression: 'SET gsi1pk = :shard',
          ConditionExpression: 'gsi1pk = :legacy',
          ExpressionAttributeValues: { ':shard': userIndexKeys(String(profile.createdAt), id).gsi1pk, ':legacy': LEGACY_USERS_PARTITION },
        }),
        options,
      ),
    );
    if (moved) report.profilesMoved++;
  }
  progress(`profiles moved to their shard: ${report.profilesMoved}`);
  for (let shard = 0; shard < USER_SHARDS; shard++) {
    for await (const profile of profilesIn(table, usersPartition(shard))) {
      const id = String(profile.id);
      for (const [key, value] of [
        [keys.usernameClaim(normalizeIdentifier(String(profile.username))), normalizeIdentifier(String(profile.username))],
        [keys.emailClaim(normalizeIdentifier(String(profile.email))), normalizeIdentifier(String(profile.email))],
      ] as const) {
        const index = claimIndexKeys(value, id);
        const indexed = await conditionally(table, (options) =>
          table.client.send(
            new UpdateCommand({
              TableName: table.name,
              Key: key,
              UpdateExpression: 'SET gsi2pk = :pk, gsi2sk = :sk',
              ConditionExpression: 'userId = :id AND attribute_not_exists(gsi2pk)',
              ExpressionAttributeValues: { ':pk': index.gsi2pk, ':sk': index.gsi2sk, ':id': id },
            }),
            options,
          ),
        );
        if (indexed) report.claimsIndexed++;
      }
    }
  }
  progress(`claims given search keys: ${report.claimsIndexed}`);
  return report;
}
