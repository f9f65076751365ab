import { recordEvent } from '../account/events';
import type { AccountDeps } from '../account/types';
import { removeOwnSignInMethod } from '../account/sign-in-methods';
import { NotFoundError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { isCredentialId, isIssuedId } from '../shared/validation';
import { listPasskeys, type Passkey, removePasskey, renamePasskey } from '../store/passkeys';
import { getUser } from '../store/users';

/** A passkey as its owner (or an admin) sees it: never the public key or counter. */
export type PasskeyView = Pick<Passkey, 'id' | 'name' | 'createdAt' | 'lastUsedAt' | 'backedUp' | 'transports'>;

const viewOf = ({ id, name, createdAt, lastUsedAt, backedUp, transports }: Passkey): PasskeyView => ({ id, name, createdAt, lastUsedAt, backedUp, transports });

/** The caller's own passkeys, oldest first. */
export async function ownPasskeys(deps: AccountDeps, userId: string): Promise<{ passkeys: PasskeyView[] }> {
  return { passkeys: (await listPasskeys(deps.table, userId)).map(viewOf) };
}

/** A user's passkeys for an admin; 404 for a user that does not exist. */
export async function userPasskeys(deps: AccountDeps, userId: string): Promise<{ passkeys: PasskeyView[] }> {
  if (!isIssuedId(userId) || !(await getUser(deps.table, userId))) throw new NotFoundError(MESSAGES.userNotFound);
  return ownPasskeys(deps, userId);
}

/** Renames one of the caller's passkeys; 404 when the caller has none of that id. */
export async function renameOwnPasskey(deps: AccountDeps, userId: string, passkeyId: string, name: string): Promise<{ id: string; name: string }> {
  if (!isCredentialId(passkeyId) || !(await renamePasskey(deps.table, userId, passkeyId, name))) throw new NotFoundError(MESSAGES.passkeyNotFound);
  return { id: passkeyId, name };
}

/**
 * Removes a passkey (the user's own, or, with `actor`, an admin's act on the user): no sign-in with it
 * from then on; sessions it opened live on until they are signed out or revoked (the sessions list shows
 * them). 404 when the user has no passkey of that id. The user's own last way to sign in is refused (409:
 * no password, no identity, no other passkey), kept with the count by the sign-in methods version
 * (lib/store/identities.ts signInMethodsUnchanged); an admin may remove it (the user can still reset a
 * password by email). Recorded as `passkey.remove` (by `actor`).
 */
export async function removeUserPasskey(deps: AccountDeps, userId: string, passkeyId: string, actor?: string): Promise<void> {
  const notFound = new NotFoundError(MESSAGES.passkeyNotFound);
  if (!isIssuedId(userId) || !isCredentialId(passkeyId)) throw notFound;
  const own = actor === undefined || actor === userId;
  if (own) {
    await removeOwnSignInMethod(
      deps,
      userId,
      (methods) => methods.passkeys.find((passkey) => passkey.id === passkeyId),
      (passkey, guard) => removePasskey(deps.table, userId, passkey.id, guard),
      { notFound, noUser: notFound },
    );
  } else if ((await removePasskey(deps.table, userId, passkeyId)) !== 'done') {
    throw notFound;
  }
  await recordEvent(deps, userId, 'passkey.remove', own ? undefined : actor);
}
