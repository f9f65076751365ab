import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { claimIndexKeys, itemKeys, LEGACY_USERS_PARTITION, USER_SHARDS, USERS_INDEX, userIndexKeys, usersPartition } from './item-keys';
import { conditionally, queryEach, type Table } from './table';
import { adminRosterIds, enrolAdmin, normalizeIdentifier } from './users';

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
          Key: itemKeys.user(id),
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
        [itemKeys.usernameClaim(normalizeIdentifier(String(profile.username))), normalizeIdentifier(String(profile.username))],
        [itemKeys.emailClaim(normalizeIdentifier(String(profile.email))), normalizeIdentifier(String(profile.email))],
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

export interface RosterReport {
  /** Admins put on the admin roster by this run. */
  adminsEnrolled: number;
  /** Listed as admins by the index, but no admin (or gone) when enrolled: left off the roster. */
  adminsNotEnrolled: number;
}

/**
 * The admin roster's migration (`npm run migrate`): puts every admin stored before the roster existed on
 * it, so removing one of them is no longer refused while others remain. Each enrolment is one
 * transaction conditioned on the profile still holding the admin role (an admin demoted between this
 * read of the index and the write is not enrolled) and on the id not being on the roster yet (so a
 * second run writes nothing). Reads the index (roles are projected), never scans.
 */
export async function enrolExistingAdmins(table: Table, progress: (line: string) => void = () => undefined): Promise<RosterReport> {
  const report: RosterReport = { adminsEnrolled: 0, adminsNotEnrolled: 0 };
  const seen = await adminRosterIds(table);
  const onRosterAlready = seen.size;
  for (const partition of [LEGACY_USERS_PARTITION, ...Array.from({ length: USER_SHARDS }, (_, shard) => usersPartition(shard))]) {
    const admins = queryEach(table, {
      IndexName: USERS_INDEX,
      KeyConditionExpression: 'gsi1pk = :partition',
      FilterExpression: 'contains(#roles, :admin)',
      ExpressionAttributeNames: { '#roles': 'roles' },
      ExpressionAttributeValues: { ':partition': partition, ':admin': 'admin' },
    });
    for await (const profile of admins) {
      const id = String(profile.id);
      // On the roster, or decided already in this run (a profile moved to its shard meanwhile is listed twice).
      if (seen.has(id)) continue;
      seen.add(id);
      const outcome = await enrolAdmin(table, id);
      if (outcome === 'enrolled') report.adminsEnrolled++;
      if (outcome === 'not-admin') report.adminsNotEnrolled++;
    }
  }
  progress(
    `admins put on the admin roster: ${report.adminsEnrolled} (on it already: ${onRosterAlready}; ` +
      `no longer admins when enrolled, left off: ${report.adminsNotEnrolled})`,
  );
  return report;
}

/**
 * Everything `npm run migrate` does, each step re-runnable. The roster comes first: it reads profiles
 * where they are before the index move shifts them between partitions (the index follows writes
 * eventually, so a profile just moved could be in neither partition for a moment).
 */
export async function migrate(table: Table, progress: (line: string) => void = () => undefined): Promise<RosterReport & MigrationReport> {
  const roster = await enrolExistingAdmins(table, progress);
  return { ...roster, ...(await migrateToShardedIndex(table, progress)) };
}
