import integrationSetup from '../integration/global-setup';

/**
 * Stryker runs jest once per mutant, and jest runs globalSetup every time: starting DynamoDB Local for
 * each would cost seconds per mutant. scripts/mutation.ts starts one for the whole run and passes it in
 * DYNAMODB_ENDPOINT and TABLE_NAME; without them (jest run by hand) this is the integration tier's setup.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DYNAMODB_ENDPOINT !== undefined && process.env.TABLE_NAME !== undefined) return;
  await integrationSetup();
}
