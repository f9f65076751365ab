import { type KeyPartCache, keyPartCache, parseSecretKey, readKeyPart } from './key-source';

// The two symmetric keys, each in a part of its own, so that reading one grants nothing else.
let dataKeyCache: KeyPartCache<Uint8Array> | undefined;
let cursorKeyCache: KeyPartCache<Uint8Array> | undefined;

/** The key that seals stored TOTP secrets (lib/access/secrets.ts): read by the MFA functions only. */
export function dataKey(): Promise<Uint8Array> {
  dataKeyCache ??= keyPartCache(async () => parseSecretKey(await readKeyPart('dataKey'), 'dataKey'));
  return dataKeyCache.get();
}

/** The HMAC key of page cursors (lib/store/cursor.ts): read by the paged lists only. */
export function cursorKey(): Promise<Uint8Array> {
  cursorKeyCache ??= keyPartCache(async () => parseSecretKey(await readKeyPart('cursorKey'), 'cursorKey'));
  return cursorKeyCache.get();
}
