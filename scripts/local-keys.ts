import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateSigningKey } from '../lib/access/keys';

/**
 * Makes sure a local private signing key set exists at `path` (git-ignored), generating one at first
 * start. The file is readable by its owner only.
 */
export async function ensureLocalSigningKeys(path: string): Promise<'created' | 'existing'> {
  try {
    await readFile(path, 'utf8');
    return 'existing';
  } catch {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, JSON.stringify({ keys: [await generateSigningKey()] }), { mode: 0o600 });
    await chmod(path, 0o600);
    return 'created';
  }
}
