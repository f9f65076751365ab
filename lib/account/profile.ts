import { UnauthorizedError } from '../shared/errors';
import { toAuthorities } from '../shared/roles';
import { getUser } from '../store/users';
import type { AccountDeps } from './types';

/** The caller's profile as the contract shows it, read fresh from the table (a deleted user is 401). */
export async function getProfile(
  deps: AccountDeps,
  userId: string,
): Promise<{
  id: string;
  username: string;
  email: string;
  roles: string[];
  mfaEnabled: boolean;
  emailVerified: boolean;
}> {
  const user = await getUser(deps.table, userId);
  if (!user) throw new UnauthorizedError();
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    roles: toAuthorities(user.roles),
    mfaEnabled: user.mfaEnabled,
    emailVerified: user.emailVerified,
  };
}
