import type { ApiStack } from '../../scripts/local-stack';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __stack?: ApiStack }).__stack?.stop();
}
