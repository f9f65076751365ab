import { ConflictError, NotFoundError } from '../shared/errors';
import { parseRoles, type Role } from '../shared/roles';
import { isIssuedId } from '../shared/validation';
import { deleteAllRefreshTokens } from '../store/refresh-tokens';
import { deleteAllSessions, revokeAllSessions } from '../store/sessions';
import { listUsers, searchUsers, type PublicUser } from '../store/user-list';
import { type AdminGuardedOutcome, changeRoles, deleteUserRecord, getUser, normalizeIdentifier } from '../store/users';
import { deleteAllEvents } from '../store/events';
import { deleteAllIdentities } from '../store/identities';
import { deleteAllPasskeys } from '../store/passkeys';
import { eventsPage, logEventOnly, recordEvent } from './events';
import { liveSessionsOf } from './sessions';
import type { AccountDeps, PagingDeps } from './types';
import { MESSAGES } from '../shared/messages';

/**
 * One page of users for the admin list, newest first; with `search`, the users whose username or email
 * starts with it (case-insensitively). A cursor the service did not issue (or of another search) is a 400.
 */
export async function listUsersPage(
  deps: PagingDeps,
  query: { limit?: string | undefined; cursor?: string | undefined; search?: string | undefined },
): Promise<{ users: PublicUser[]; nextCursor: string | null }> {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  const cursor = query.cursor || undefined;
  if (query.search !== undefined) return searchUsers(deps.table, normalizeIdentifier(query.search), limit, cursor, deps.keys.cursorKey);
  return listUsers(deps.table, limit, cursor, deps.keys.cursorKey);
}

/** The outcome of a write that may take an admin away, as the contract answers it. */
export function assertDone(outcome: AdminGuardedOutcome): void {
  if (outcome === 'not-found') throw new NotFoundError(MESSAGES.userNotFound);
  if (outcome === 'last-admin') throw new ConflictError(MESSAGES.lastAdmin);
}

/**
 * Replaces a user's roles and ends their sessions (the credentials version bump does, racing sign-ins
 * included), so the new roles apply from their next sign-in. Taking the admin role from the last admin
 * is refused (409), however many admins demote each other at once (lib/store/users.ts changeRoles).
 */
export async function setUserRoles(deps: AccountDeps, userId: string, requested: string[], adminId: string): Promise<{ id: string; roles: Role[] }> {
  const roles = parseRoles(requested);
  if (!isIssuedId(userId)) throw new NotFoundError(MESSAGES.userNotFound);
  assertDone(await changeRoles(deps.table, userId, roles));
  await Promise.all([
    revokeAllSessions(deps.table, userId, deps.now().toISOString()),
    recordEvent(deps, userId, 'roles.change', adminId === userId ? undefined : adminId),
  ]);
  return { id: userId, roles };
}

/**
 * Deletes a user: profile and both claims first, in one transaction (so the name and email are free
 * again and never claimed without a user; the last admin is refused and nothing changes), then its
 * sessions, refresh tokens, events and passkeys (with their claims: the credential ids are free again). Once the profile is gone no session or refresh token of the user
 * is live (both are checked against it), so the clean-up only removes dead items (they expire by TTL
 * too). The one deletion routine, for an admin's (deleteUser: `actor`, the admin's id) and the user's
 * own (lib/account/delete-account.ts: `checkedVersion`, the credentials its password was checked
 * against; 'changed' when they changed since). The event is only logged: the user's list goes with it.
 */
export async function removeUser(
  deps: AccountDeps,
  userId: string,
  options: { actor?: string; checkedVersion?: number } = {},
): Promise<AdminGuardedOutcome | 'changed'> {
  const outcome = await deleteUserRecord(deps.table, userId, options.checkedVersion);
  if (outcome !== 'done') return outcome;
  logEventOnly(deps, userId, 'account.delete', options.actor === userId ? undefined : options.actor);
  await deleteAllSessions(deps.table, userId);
  await Promise.all([
    deleteAllRefreshTokens(deps.table, userId),
    deleteAllEvents(deps.table, userId),
    deleteAllPasskeys(deps.table, userId),
    deleteAllIdentities(deps.table, userId),
  ]);
  return 'done';
}

/** An admin deletes a user (removeUser): 404 for no such user, 409 for the last admin. */
export async function deleteUser(deps: AccountDeps, userId: string, adminId?: string): Promise<void> {
  if (!isIssuedId(userId)) throw new NotFoundError(MESSAGES.userNotFound);
  const outcome = await removeUser(deps, userId, adminId === undefined ? {} : { actor: adminId });
  // Not conditioned on a version: never 'changed'.
  if (outcome !== 'changed') assertDone(outcome);
}

/** One page of a user's security events (admin); 404 for a user that does not exist. */
export async function userEventsPage(deps: PagingDeps, userId: string, query: { limit?: string | undefined; cursor?: string | undefined }) {
  if (!isIssuedId(userId) || !(await getUser(deps.table, userId))) throw new NotFoundError(MESSAGES.userNotFound);
  return eventsPage(deps, userId, query);
}

/** A user's live sessions (admin), as the user's own list shows them but with no `current`; 404 for a user that does not exist. */
export async function userSessions(deps: AccountDeps, userId: string) {
  const sessions = isIssuedId(userId) ? await liveSessionsOf(deps, userId) : undefined;
  if (!sessions) throw new NotFoundError(MESSAGES.userNotFound);
  return { sessions };
}
