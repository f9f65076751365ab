import { admitAttempt, findRefreshToken, type AuthDeps } from './auth';
import { epochSeconds } from '../shared/clock';
import { openCursor, sealCursor } from '../store/cursor';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../shared/errors';
import { hashPassword, verifyPassword } from '../shared/passwords';
import { parseRoles, type Role } from '../shared/roles';
import { deleteAllRefreshTokens, deleteAllSessions, listSessionItems, revokeAllSessions, revokeSession } from '../store/sessions';
import { changeCredentials, deleteUserRecord, getUser, listUsers, type PublicUser } from '../store/users';
import type { AccessClaims } from '../access/tokens';
import { isIssuedId } from '../shared/validation';

/** The account operations after sign-in: sign-out, sessions, password change, and the admin API. */
export type AccountDeps = Omit<AuthDeps, 'keys'>;

const nowIso = (deps: AccountDeps) => deps.now().toISOString();

/** Ends the session (token family) a refresh token belongs to. Throws RefreshTokenError. */
export async function signOut(deps: AccountDeps, refreshToken: string | undefined): Promise<void> {
  const { stored } = await findRefreshToken(deps, refreshToken);
  // Also for an expired or already-rotated token: whoever signs out wants that session gone.
  await revokeSession(deps.table, stored.userId, stored.sessionId, nowIso(deps));
}

/** Ends every session of the caller. */
export async function signOutEverywhere(deps: AccountDeps, actor: AccessClaims): Promise<void> {
  await revokeAllSessions(deps.table, actor.userId, nowIso(deps));
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/** The caller's live sessions, most recently used first. Never a token or a hash. */
export async function listOwnSessions(deps: AccountDeps, actor: AccessClaims): Promise<SessionView[]> {
  const nowSeconds = epochSeconds(deps.now());
  return (await listSessionItems(deps.table, actor.userId))
    .filter((session) => !session.revokedAt && session.expiresAt > nowSeconds)
    .sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt))
    .map((session) => ({
      id: session.sessionId,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      userAgent: session.userAgent ?? null,
      ip: session.ip ?? null,
      current: session.sessionId === actor.sessionId,
    }));
}

/** Revokes one of the caller's sessions. Another user's session id is simply not found (404). */
export async function revokeOwnSession(deps: AccountDeps, actor: AccessClaims, sessionId: string): Promise<void> {
  if (!isIssuedId(sessionId) || !(await revokeSession(deps.table, actor.userId, sessionId, nowIso(deps)))) throw new NotFoundError('Session not found.');
}

/**
 * Changes the caller's password after checking the current one (counted like a sign-in attempt, so a
 * stolen access token cannot be used to guess it); every session of the user ends.
 */
export async function changePassword(
  deps: AccountDeps,
  actor: AccessClaims,
  input: { currentPassword: string; newPassword: string },
  ip: string | undefined,
): Promise<void> {
  const user = await getUser(deps.table, actor.userId);
  if (!user) throw new UnauthorizedError();
  await admitAttempt(deps, user.username, ip);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw new UnauthorizedError('Current password is incorrect!');
  }
  // The version bump in this write is what ends every session, including any sign-in racing it; the
  // revocations after it only keep the session list honest.
  if (!(await changeCredentials(deps.table, user.id, { passwordHash: await hashPassword(input.newPassword, deps.config.bcryptCost) }))) {
    throw new UnauthorizedError();
  }
  await revokeAllSessions(deps.table, user.id, nowIso(deps));
}

/** Page cursors: DynamoDB's LastEvaluatedKey, sealed with an HMAC (lib/cursor.ts) and checked on the way back in. */
function encodeCursor(key: Record<string, string> | undefined, secret: Uint8Array): string | null {
  return key ? sealCursor(key, secret) : null;
}

function decodeCursor(cursor: string | undefined, secret: Uint8Array): Record<string, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const invalid = new BadRequestError('cursor is invalid');
  const key = openCursor(cursor, secret);
  const expected = ['gsi1pk', 'gsi1sk', 'pk', 'sk'];
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid;
  const entries = Object.entries(key);
  if (entries.length !== 4 || !entries.every(([name, value]) => expected.includes(name) && typeof value === 'string')) throw invalid;
  if ((key as Record<string, string>).gsi1pk !== 'USER') throw invalid;
  return key as Record<string, string>;
}

/** One page of users for the admin list. A cursor the service did not issue is a 400. */
export async function listUsersPage(
  deps: AuthDeps,
  query: { limit?: string | undefined; cursor?: string | undefined },
): Promise<{ users: PublicUser[]; nextCursor: string | null }> {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  const { users, lastKey } = await listUsers(deps.table, limit, decodeCursor(query.cursor, deps.keys.cursorSecret));
  return { users, nextCursor: encodeCursor(lastKey, deps.keys.cursorSecret) };
}

/**
 * Replaces a user's roles and ends their sessions (the credentials version bump does, racing sign-ins
 * included), so the new roles apply from their next sign-in.
 */
export async function setUserRoles(deps: AccountDeps, userId: string, requested: string[]): Promise<{ id: string; roles: Role[] }> {
  const roles = parseRoles(requested);
  if (!isIssuedId(userId) || !(await changeCredentials(deps.table, userId, { roles }))) throw new NotFoundError('User not found.');
  await revokeAllSessions(deps.table, userId, nowIso(deps));
  return { id: userId, roles };
}

/**
 * Deletes a user: sessions first (their tokens die), then its refresh tokens, then profile and both
 * claims in one transaction, so the name and email are free again and never claimed without a user.
 */
export async function deleteUser(deps: AccountDeps, userId: string): Promise<void> {
  const user = isIssuedId(userId) ? await getUser(deps.table, userId) : undefined;
  if (!user) throw new NotFoundError('User not found.');
  await deleteAllSessions(deps.table, userId);
  await deleteAllRefreshTokens(deps.table, userId);
  if (!(await deleteUserRecord(deps.table, user))) throw new NotFoundError('User not found.');
}
