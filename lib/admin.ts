import { signUp, type AuthDeps } from './auth';
import { ROLES } from './roles';
import { findUserByUsername, updateProfile } from './store/users';
import { signUpSchema, validate } from './validation';

/**
 * Makes sure an admin with this username exists: creates it with every role, or gives an existing
 * user every role (its password is left as it is). Used by `npm run admin:create` and the local start.
 */
export async function ensureAdmin(
  deps: Omit<AuthDeps, 'keys'>,
  input: { username: string; email: string; password: string },
): Promise<'created' | 'promoted' | 'unchanged'> {
  const existing = await findUserByUsername(deps.table, input.username);
  const allRoles = [...ROLES];
  if (existing) {
    if (allRoles.every((role) => existing.roles.includes(role))) return 'unchanged';
    await updateProfile(deps.table, existing.id, { roles: allRoles });
    return 'promoted';
  }
  const valid = validate(signUpSchema, { ...input, roles: allRoles });
  // The bootstrap acts as an admin: it is run by whoever holds the table's credentials.
  await signUp(deps, valid, { userId: 'bootstrap', roles: ['admin'], sessionId: 'bootstrap' });
  return 'created';
}
