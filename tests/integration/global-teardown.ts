import type { LocalStack } from '../../scripts/local-stack';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __database?: LocalStack }).__database?.dynamo.stop();
}
