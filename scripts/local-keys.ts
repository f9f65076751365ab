import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PublicKeys } from '../lib/access/keys';
import { parseSecretKey } from '../lib/access/key-source';
import { importSigningKeys, type KeyParts, newKeySet, parseKeySet, type SigningKeys, splitKeySet } from '../lib/access/signing-keys';
import { KEY_PART_VARIABLES, type KeyPart } from '../lib/shared/config';

/**
 * The local stage keeps the four key parts in four files, beside each other (git-ignored, owner-only),
 * and each function is given the names of its own parts only, as deployed functions are given their SSM
 * parameters (serverless.yml): the same code path loads them, and a function that reaches for a part it
 * may not read fails locally as it would on AWS.
 */
export function localKeyFiles(dir: string): Record<KeyPart, string> {
  return {
    signing: join(dir, 'local-signing-keys.json'),
    public: join(dir, 'local-public-keys.json'),
    dataKey: join(dir, 'local-data-key'),
    cursorKey: join(dir, 'local-cursor-key'),
  };
}

/** The environment that names each part's file (`SIGNING_KEY_FILE`, `PUBLIC_KEYS_FILE`, ...). */
export function keyFileEnv(files: Record<KeyPart, string>): Record<string, string> {
  return Object.fromEntries((Object.keys(files) as KeyPart[]).map((part) => [KEY_PART_VARIABLES[part].file, files[part]]));
}

/** The environment that holds each part inline (`SIGNING_KEYS`, `PUBLIC_KEYS`, ...): in-process tests and the bench. */
export function inlineKeyEnv(parts: KeyParts): Record<string, string> {
  return Object.fromEntries((Object.keys(parts) as KeyPart[]).map((part) => [KEY_PART_VARIABLES[part].inline, parts[part]]));
}

/** Writes the parts to their files, readable by their owner only; returns the files' environment. */
export async function writeKeyParts(dir: string, parts: KeyParts): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = localKeyFiles(dir);
  for (const part of Object.keys(files) as KeyPart[]) {
    await writeFile(files[part], parts[part], { mode: 0o600 });
    await chmod(files[part], 0o600);
  }
  return keyFileEnv(files);
}

/**
 * Makes sure the local key parts exist in `dir`, generating them at first start. A single key file from
 * before the split (all parts in one document) is split in place, keeping its keys, its data key (so
 * enrolled authenticators still open) and its cursors.
 */
export async function ensureLocalKeys(dir: string): Promise<{ state: 'created' | 'existing' | 'split'; env: Record<string, string> }> {
  const files = localKeyFiles(dir);
  let current: string | undefined;
  try {
    current = await readFile(files.signing, 'utf8');
  } catch {
    return { state: 'created', env: await writeKeyParts(dir, splitKeySet(await newKeySet(), new Date())) };
  }
  const document = parseKeySet(current);
  const hasPublic = await readFile(files.public, 'utf8').then(
    () => true,
    () => false,
  );
  if (hasPublic && document.dataKey === undefined) return { state: 'existing', env: keyFileEnv(files) };
  return { state: 'split', env: await writeKeyParts(dir, splitKeySet(current, new Date())) };
}

/** Every part of one whole document imported (tests and the bench act as every function at once). */
export async function importKeyParts(combinedJson: string): Promise<SigningKeys & PublicKeys & { dataKey: Uint8Array; cursorKey: Uint8Array }> {
  const parts = splitKeySet(combinedJson, new Date());
  return {
    ...(await importSigningKeys(combinedJson)),
    dataKey: parseSecretKey(parts.dataKey, 'dataKey'),
    cursorKey: parseSecretKey(parts.cursorKey, 'cursorKey'),
  };
}
