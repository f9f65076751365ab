import { randomBytes } from 'node:crypto';

/** A name no other test or run uses, within the username rules (3 to 32 of [A-Za-z0-9._-]). */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function newUser(prefix = 'user', password = 'correct horse battery') {
  const username = uniqueName(prefix);
  return { username, email: `${username}@example.com`, password };
}
