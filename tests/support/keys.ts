import { importSigningKeys, newKeySet, type SigningKeys } from '../../lib/access/keys';

/** A fresh private key set as the service stores it (JSON), and the same keys imported. */
export async function testKeySet(): Promise<{ json: string; keys: SigningKeys }> {
  const json = await newKeySet('test-key');
  return { json, keys: await importSigningKeys(json) };
}
