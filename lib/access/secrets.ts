import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets the service must read back (TOTP seeds) are stored encrypted with AES-256-GCM under the data
 * key, so a copy of the table (a backup, an export, a role allowed to scan) yields no seed: the key lives
 * in an SSM SecureString of its own, apart from the data and from the signing keys. `v1.<iv>.<ciphertext+tag>`, base64url.
 */
export function encryptSecret(plaintext: string, key: Uint8Array, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The owner's id as associated data: a sealed secret copied onto another user does not open.
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** The plaintext of a sealed secret; throws when it was altered, moved, or sealed under another key. */
export function decryptSecret(sealed: string, key: Uint8Array, context: string): string {
  const [version, iv, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !body) throw new Error('sealed secret: unknown format');
  const bytes = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
}
