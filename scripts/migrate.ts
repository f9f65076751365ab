/**
 * `npm run migrate -- --stage prod [--region eu-west-1]`: the one-off migration of a table created before
 * the admin roster (admins put on it) or the sharded admin index (issue 17; lib/store/migrations.ts).
 * Safe to run again; resumes by running again.
 * Uses the ordinary AWS credential chain; DYNAMODB_ENDPOINT points it at DynamoDB Local instead.
 */
import { parseArgs } from 'node:util';
import { migrate } from '../lib/store/migrations';
import { createTable } from '../lib/store/table';
import { stageConfig } from './stage-config';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stage: { type: 'string', default: 'local' }, region: { type: 'string' } } });
  const config = stageConfig(values.stage ?? 'local', values.region);
  const table = createTable(config);
  try {
    const report = await migrate(table, (line) => console.log(line));
    console.log(
      `${config.tableName}: done (${report.adminsEnrolled} admins put on the roster, ${report.profilesMoved} profiles moved, ` +
        `${report.claimsIndexed} claims indexed)`,
    );
  } finally {
    table.client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
