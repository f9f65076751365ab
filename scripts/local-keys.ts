import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { newKeySet } from '../lib/access/keys';

/**
 * Makes sure a local private signing key set exists at `path` (git-ignored), generating one at first
 * start; a set from before data keys gets one (it encrypts TOTP secrets). Readable by its owner only.
 */
export async function ensureLocalSigningKeys(path: string): Promise<'created' | 'existing' | 'upgraded'> {
  let current: string;
  try {
    current = await readFile(path, 'utf8');
  } catch {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, await newKeySet(), { mode: 0o600 });
    await chmod(path, 0o600);
    return 'created';
  }
  const document = JSON.parse(current) as { dataKey?: string };
  if (document.dataKey) return 'existing';
  await writeFile(path, JSON.stringify({ ...document, dataKey: randomBytes(32).toString('base64url') }), { mode: 0o600 });
  return 'upgraded';
}
