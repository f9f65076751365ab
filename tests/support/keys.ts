import { newKeySet } from '../../lib/access/signing-keys';
import { importKeyParts } from '../../scripts/local-keys';

/**
 * A fresh key set as one document (all four parts; scripts/local-keys.ts splits it for a stack), and
 * every part imported: tests that call the domain directly act as every function at once.
 */
export async function testKeySet(): Promise<{ json: string; keys: Awaited<ReturnType<typeof importKeyParts>> }> {
  const json = await newKeySet('test-key');
  return { json, keys: await importKeyParts(json) };
}
