import bcrypt from 'bcryptjs';

/** bcrypt reads at most 72 bytes of input; longer passwords are refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

export function exceedsBcryptLimit(password: string): boolean {
  return bcrypt.truncates(password);
}

/** Hashes with the async API: the sync forms block the event loop for the whole hash. */
export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/**
 * A well-formed bcrypt hash at `cost` that no password matches: comparing against it costs exactly what
 * a real comparison costs (bcrypt derives from the salt and cost, then compares). Built, not hashed, so
 * the first unknown-user sign-in of a cold container is not slower than the next ones.
 */
export function dummyHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$${'.'.repeat(53)}`;
}

/**
 * Spends the same time as a real verification against a user that does not exist, so sign-in timing
 * does not tell unknown usernames from wrong passwords.
 */
export async function verifyAgainstDummy(password: string, cost: number): Promise<false> {
  await bcrypt.compare(password, dummyHash(cost));
  return false;
}

/** True when a stored hash is cheaper than the configured cost: re-hash it at the next sign-in. */
export function needsRehash(hash: string, cost: number): boolean {
  return bcrypt.getRounds(hash) < cost;
}
