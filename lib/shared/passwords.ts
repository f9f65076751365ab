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

/**
 * The stored hash of an account that has no password (made by a social sign-in): no password matches it,
 * and checking one against it costs what a real check costs (verifyPassword), so timing does not tell
 * such accounts apart. A reset link gives it a password.
 */
export const NO_PASSWORD = '';

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/**
 * A password checked against a stored hash, with the same work whether there is one or not: no user
 * (`undefined`) or an account without a password (NO_PASSWORD) gets the dummy check at `cost`, and fails.
 */
export function verifyStoredPassword(password: string, hash: string | undefined, cost: number): Promise<boolean> {
  return hash === undefined || hash === NO_PASSWORD ? verifyAgainstDummy(password, cost) : verifyPassword(password, hash);
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
