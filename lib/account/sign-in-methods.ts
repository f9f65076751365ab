import { NO_PASSWORD } from '../shared/passwords';
import { listIdentities } from '../store/identities';
import { listPasskeys } from '../store/passkeys';
import { getUser } from '../store/users';
import type { AccountDeps } from './types';

/**
 * How many ways to sign in a user has besides the one being removed: a password (1 or 0), passkeys and
 * identities. `known` gives counts the caller has read already, less the one it removes.
 */
export async function otherWaysToSignIn(deps: AccountDeps, userId: string, known: { identities?: number; passkeys?: number }): Promise<number> {
  const [user, identities, passkeys] = await Promise.all([
    getUser(deps.table, userId),
    known.identities ?? listIdentities(deps.table, userId).then((list) => list.length),
    known.passkeys ?? listPasskeys(deps.table, userId).then((list) => list.length),
  ]);
  if (!user) return 0;
  return (user.passwordHash === NO_PASSWORD ? 0 : 1) + identities + passkeys;
}
