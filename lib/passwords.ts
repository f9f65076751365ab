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

const dummyHashes = new Map<number, Promise<string>>();

/**
 * Spends the same time as a real verification against a user that does not exist, so sign-in timing
 * does not tell unknown usernames from wrong passwords. The dummy hash is made once per cost and process.
 */
export async function verifyAgainstDummy(password: string, cost: number): Promise<false> {
  let dummy = dummyHashes.get(cost);
  if (!dummy) {
    dummy = bcrypt.hash('dummy password that never matches', cost);
    dummyHashes.set(cost, dummy);
  }
  await bcrypt.compare(password, await dummy);
  return false;
}
