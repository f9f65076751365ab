import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as the contract fixes it: SHA-1, 6 digits, 30-second steps, one step of clock skew. */
const PERIOD_SECONDS = 30;
const SKEW_STEPS = 1;

function totp(secretBase32: string, issuer: string, label: string): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
}

/** A new secret (160 bits, RFC 4226's recommended length) and the otpauth:// URL authenticator apps scan. */
export function newTotpSecret(issuer: string, username: string): { secret: string; otpauthUrl: string } {
  const secret = new Secret({ size: 20 }).base32;
  return { secret, otpauthUrl: totp(secret, issuer, username).toString() };
}

/**
 * The time step a code belongs to, if it is right for now (±1 step); undefined otherwise. The caller
 * stores the step it accepted, so the same code (or an older one) is never accepted twice.
 */
export function totpStep(secretBase32: string, code: string, nowMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secretBase32, 'x', 'x').validate({ token: code, timestamp: nowMs, window: SKEW_STEPS });
  return delta === null ? undefined : Math.floor(nowMs / 1000 / PERIOD_SECONDS) + delta;
}

const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 symbols, no 0/O or 1/I look-alikes

/** Ten recovery codes of 12 symbols (60 bits each), shown once as `XXXX-XXXX-XXXX`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: 10 }, () => {
    const symbols = [...randomBytes(12)].map((byte) => RECOVERY_ALPHABET[byte % 32]).join('');
    return `${symbols.slice(0, 4)}-${symbols.slice(4, 8)}-${symbols.slice(8)}`;
  });
}

/**
 * The stored form of a recovery code: SHA-256 of its symbols, case and dashes ignored. A fast hash is
 * enough for 60 random bits (nothing to guess offline in a useful time), and it lets the database check
 * and spend a code in one conditional write.
 */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.toUpperCase().replace(/[\s-]/g, ''), 'utf8').digest('hex');
}
