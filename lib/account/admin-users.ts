import { NotFoundError } from '../shared/errors';
import { parseRoles, type Role } from '../shared/roles';
import { isIssuedId } from '../shared/validation';
import { deleteAllRefreshTokens } from '../store/refresh-tokens';
import { deleteAllSessions, revokeAllSessions } from '../store/sessions';
import { listUsers, searchUsers, type PublicUser } from '../store/user-list';
import { changeCredentials, deleteUserRecord, getUser, normalizeIdentifier } from '../store/users';
import { deleteAllEvents } from '../store/events';
import { eventsPage, recordEvent } from './events';
import type { AccountDeps, SessionDeps } from './types';
import { MESSAGES } from '../shared/messages';

/**
 * One page of users for the admin list, newest first; with `search`, the users whose username or email
 * starts with it (case-insensitively). A cursor the service did not issue (or of another search) is a 400.
 */
export async function listUsersPage(
  deps: SessionDeps,
  query: { limit?: string | undefined; cursor?: string | undefined; search?: string | undefined },
): Promise<{ users: PublicUser[]; nextCursor: string | null }> {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  const cursor = query.cursor || undefined;
  if (query.search !== undefined) return searchUsers(deps.table, normalizeIdentifier(query.search), limit, cursor, deps.keys.cursorSecret);
  return listUsers(deps.table, limit, cursor, deps.keys.cursorSecret);
}

/**
 * Replaces a user's roles and ends their sessions (the credentials version bump does, racing sign-ins
 * included), so the new roles apply from their next sign-in.
 */
export async function setUserRoles(deps: AccountDeps, userId: string, requested: string[], adminId: string): Promise<{ id: string; roles: Role[] }> {
  const roles = parseRoles(requested);
  if (!isIssuedId(userId) || !(await changeCredentials(deps.table, userId, { roles }))) throw new NotFoundError(MESSAGES.userNotFound);
  await Promise.all([
    revokeAllSessions(deps.table, userId, deps.now().toISOString()),
    recordEvent(deps, userId, 'roles.change', adminId === userId ? undefined : adminId),
  ]);
  return { id: userId, roles };
}

/**
 * Deletes a user: sessions first (their tokens die), then its refresh tokens, then profile and both
 * claims in one transaction, so the name and email are free again and never claimed without a user.
 */
export async function deleteUser(deps: AccountDeps, userId: string): Promise<void> {
  const user = isIssuedId(userId) ? await getUser(deps.table, userId) : undefined;
  if (!user) throw new NotFoundError(MESSAGES.userNotFound);
  await deleteAllSessions(deps.table, userId);
  await Promise.all([deleteAllRefreshTokens(deps.table, userId), deleteAllEvents(deps.table, userId)]);
  if (!(await deleteUserRecord(deps.table, user))) throw new NotFoundError(MESSAGES.userNotFound);
}

/** One page of a user's security events (admin); 404 for a user that does not exist. */
export async function userEventsPage(deps: SessionDeps, userId: string, query: { limit?: string | undefined; cursor?: string | undefined }) {
  if (!isIssuedId(userId) || !(await getUser(deps.table, userId))) throw new NotFoundError(MESSAGES.userNotFound);
  return eventsPage(deps, userId, query);
}
