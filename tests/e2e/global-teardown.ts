import type { LocalStack, Offline } from '../../scripts/local-stack';

export default async function globalTeardown(): Promise<void> {
  const { __offline, __database } = globalThis as { __offline?: Offline; __database?: LocalStack };
  await __offline?.stop();
  await __database?.dynamo.stop();
}
