import { freePort, startDatabase, type LocalStack } from '../../scripts/local-stack';

/** Starts a private DynamoDB Local (in memory, on a free port) with the service's table for this run. */
export default async function globalSetup(): Promise<void> {
  const database = await startDatabase({ port: await freePort() });
  (globalThis as { __database?: LocalStack }).__database = database;
  process.env.DYNAMODB_ENDPOINT = database.dynamo.endpoint;
  process.env.TABLE_NAME = database.tableName;
}
