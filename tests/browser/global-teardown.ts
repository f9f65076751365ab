import type { Server } from 'node:http';
import type { ApiStack } from '../../scripts/local-stack';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __stack?: ApiStack; __app?: Server };
  state.__app?.close();
  await state.__stack?.stop();
}
