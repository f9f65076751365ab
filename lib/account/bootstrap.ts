import { registerUser } from './sign-up';
import type { AccountDeps } from './types';
import { ROLES } from '../shared/roles';
import { changeRoles, enrolAdmin, findUserByUsername, normalizeIdentifier } from '../store/users';
import { signUpSchema, validate } from '../shared/validation';

export class BootstrapRefusedError extends Error {
  override name = 'BootstrapRefusedError';
}

/**
 * Makes sure an admin with this username exists, for `npm run admin:create` and the local start.
 * - No such user: creates it with every role and this password.
 * - A user of that name exists: it may be someone who signed up publicly to squat the name, so it is
 *   never promoted silently. Without `promote` the call is refused; with it, the user must have this
 *   email, gets every role, keeps its own password, and its sessions end (roles changed).
 * Throws BootstrapRefusedError with a message for the operator.
 */
export async function ensureAdmin(
  deps: AccountDeps,
  input: { username: string; email: string; password: string },
  options: { promote?: boolean } = {},
): Promise<'created' | 'promoted' | 'unchanged'> {
  const existing = await findUserByUsername(deps.table, input.username);
  const allRoles = [...ROLES];
  if (!existing) {
    const valid = validate(signUpSchema, { ...input, roles: allRoles });
    // The bootstrap is run by whoever holds the table's credentials: no admin token to check. The
    // operator vouches for the address, so the admin is created verified (and gets no mail).
    await registerUser(deps, valid, allRoles, undefined, { emailVerified: true });
    return 'created';
  }
  if (normalizeIdentifier(existing.email) !== normalizeIdentifier(input.email)) {
    throw new BootstrapRefusedError(
      `refused: user "${existing.username}" already exists with a different email. Someone may have signed up under this name; ` +
        'choose another username, or delete that user first.',
    );
  }
  if (allRoles.every((role) => existing.roles.includes(role))) {
    // An admin from before the roster existed is put on it (idempotent), so it counts as an admin.
    await enrolAdmin(deps.table, existing.id);
    return 'unchanged';
  }
  if (!options.promote) {
    throw new BootstrapRefusedError(
      `refused: user "${existing.username}" already exists (roles: ${existing.roles.join(', ')}). ` +
        'Pass --promote to give it every role; its password stays as it is.',
    );
  }
  await changeRoles(deps.table, existing.id, allRoles);
  return 'promoted';
}
