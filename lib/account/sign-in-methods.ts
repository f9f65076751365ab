import { ConflictError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { type Identity, listIdentities, signInMethodsProfile, signInMethodsUnchanged } from '../store/identities';
import { listPasskeys, type Passkey } from '../store/passkeys';
import type { AccountDeps } from './types';

/** A user's ways to sign in, with the version a removal of one is conditioned on. */
export interface SignInMethods {
  version: number;
  password: boolean;
  identities: Identity[];
  passkeys: Passkey[];
}

/** A user's ways to sign in, read at once (one round trip); undefined for a user that does not exist. */
export async function signInMethods(deps: AccountDeps, userId: string): Promise<SignInMethods | undefined> {
  const [profile, identities, passkeys] = await Promise.all([
    signInMethodsProfile(deps.table, userId),
    listIdentities(deps.table, userId),
    listPasskeys(deps.table, userId),
  ]);
  return profile && { ...profile, identities, passkeys };
}

/**
 * Removes one of the user's own ways to sign in (an identity, a passkey): `pick` finds it among those read
 * (undefined: `errors.notFound`; no such user: `errors.noUser`), `remove` writes the removal with `guard` (the sign-in methods version's
 * condition) in its transaction. The last way to sign in is refused (409). A removal that lost to another
 * ('raced') reads and counts again; three tries.
 */
export async function removeOwnSignInMethod<T>(
  deps: AccountDeps,
  userId: string,
  pick: (methods: SignInMethods) => T | undefined,
  remove: (found: T, guard: Record<string, unknown>[]) => Promise<'done' | 'gone' | 'raced'>,
  errors: { notFound: Error; noUser: Error },
): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const methods = await signInMethods(deps, userId);
    if (!methods) throw errors.noUser;
    const found = pick(methods);
    if (found === undefined) throw errors.notFound;
    if ((methods.password ? 1 : 0) + methods.identities.length + methods.passkeys.length <= 1) throw new ConflictError(MESSAGES.lastWayToSignIn);
    const outcome = await remove(found, [signInMethodsUnchanged(deps.table, userId, methods.version)]);
    if (outcome === 'done') return;
    if (outcome === 'gone') throw errors.notFound;
  }
  throw new ConflictError(MESSAGES.lastWayToSignIn);
}
