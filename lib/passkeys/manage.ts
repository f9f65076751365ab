import { recordEvent } from '../account/events';
import type { AccountDeps } from '../account/types';
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
 * them). 404 when the user has no passkey of that id. Recorded as `passkey.remove` (by `actor`).
 */
export async function removeUserPasskey(deps: AccountDeps, userId: string, passkeyId: string, actor?: string): Promise<void> {
  if (!isIssuedId(userId) || !isCredentialId(passkeyId) || !(await removePasskey(deps.table, userId, passkeyId))) {
    throw new NotFoundError(MESSAGES.passkeyNotFound);
  }
  await recordEvent(deps, userId, 'passkey.remove', actor === userId ? undefined : actor);
}
