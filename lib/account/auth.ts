import { randomUUID } from 'node:crypto';
import { epochSeconds } from '../shared/clock';
import type { Config } from '../shared/config';
import { ForbiddenError, InvalidCredentialsError, RefreshTokenError, TooManyRequestsError } from '../shared/errors';
import type { SigningKeys } from '../access/keys';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../shared/passwords';
import { isPrivileged, parseRoles, toAuthorities, type Role } from '../shared/roles';
import {
  createSession,
  getRefreshToken,
  getSessionWithUser,
  isLive,
  revokeSession,
  rotateRefreshToken,
  touchSession,
  type RefreshTokenRecord,
} from '../store/sessions';
import type { Table } from '../store/table';
import { clearAttempts, countAttempt } from '../store/attempts';
import { createUser, findUserByUsername, getUser, normalizeIdentifier, updateProfile, type User } from '../store/users';
import { generateRefreshToken, hashRefreshToken, issueAccessToken, type AccessClaims } from '../access/tokens';
import type { SignInInput, SignUpInput } from '../shared/validation';

/** What the domain functions need, passed in so tests can give their own table, keys and clock. */
export interface AuthDeps {
  table: Table;
  keys: SigningKeys;
  now: () => Date;
  config: Pick<
    Config,
    | 'accessTokenTtlSeconds'
    | 'refreshTokenTtlSeconds'
    | 'refreshRotation'
    | 'bcryptCost'
    | 'issuer'
    | 'audience'
    | 'lockoutThreshold'
    | 'lockoutIpThreshold'
    | 'lockoutWindowSeconds'
  >;
}

/** Where a sign-in came from, kept on the session for the user's own session list. */
export interface ClientInfo {
  userAgent: string | undefined;
  ip: string | undefined;
}

/**
 * Registers a user. Roles other than `user` need an admin as the caller (`actor`): the token must say
 * admin, and the stored profile must still say so when the user is written (checked in the same
 * transaction). The database transaction makes username and email unique. Throws UnknownRoleError,
 * ForbiddenError, UsernameTakenError, EmailTakenError.
 */
export async function signUp(deps: Omit<AuthDeps, 'keys'>, input: SignUpInput, actor: AccessClaims | undefined): Promise<User> {
  const roles = parseRoles(input.roles);
  if (!isPrivileged(roles)) return registerUser(deps, input, roles, undefined);
  if (!actor?.roles.includes('admin')) throw new ForbiddenError('Require Admin Role!');
  return registerUser(deps, input, roles, actor.userId);
}

/**
 * Stores a new user with these roles. `grantedBy` is the admin granting them (checked as stored);
 * undefined for plain users and for the operator's bootstrap, which acts with the table's credentials.
 */
export async function registerUser(
  deps: Omit<AuthDeps, 'keys'>,
  input: { username: string; email: string; password: string },
  roles: Role[],
  grantedBy: string | undefined,
): Promise<User> {
  const user: User = {
    id: randomUUID(),
    username: input.username,
    email: input.email,
    passwordHash: await hashPassword(input.password, deps.config.bcryptCost),
    roles,
    createdAt: deps.now().toISOString(),
    credVersion: 0,
  };
  await createUser(deps.table, user, grantedBy);
  return user;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

async function accessTokenFor(deps: AuthDeps, userId: string, roles: Role[], sessionId: string): Promise<string> {
  return issueAccessToken(deps.keys, { userId, roles, sessionId }, {
    issuer: deps.config.issuer,
    audience: deps.config.audience,
    now: deps.now(),
    ttlSeconds: deps.config.accessTokenTtlSeconds,
  });
}

function newRefreshRecord(deps: AuthDeps, userId: string, sessionId: string): { token: string; record: RefreshTokenRecord } {
  const now = deps.now();
  const token = generateRefreshToken();
  return {
    token,
    record: {
      tokenHash: hashRefreshToken(token),
      userId,
      sessionId,
      createdAt: now.toISOString(),
      expiresAt: epochSeconds(now) + deps.config.refreshTokenTtlSeconds,
    },
  };
}

/**
 * Counts this attempt against the submitted username (existing or not, so a 429 reveals nothing) and
 * the source IP, before any password is checked: attempts past the threshold are refused unchecked,
 * so even a parallel burst gets no more guesses than the threshold. Throws TooManyRequestsError.
 * Also guards the password change, where a stolen access token would otherwise allow guessing.
 */
export async function admitAttempt(deps: Omit<AuthDeps, 'keys'>, username: string, ip: string | undefined): Promise<void> {
  const now = epochSeconds(deps.now());
  const { lockoutWindowSeconds: window, lockoutThreshold, lockoutIpThreshold } = deps.config;
  const [perUser, perIp] = await Promise.all([
    countAttempt(deps.table, 'username', normalizeIdentifier(username), now, window),
    countAttempt(deps.table, 'ip', ip ?? 'unknown', now, window),
  ]);
  const locks = [
    ...(perUser.count > lockoutThreshold ? [perUser.windowEndsAt] : []),
    ...(perIp.count > lockoutIpThreshold ? [perIp.windowEndsAt] : []),
  ];
  if (locks.length > 0) throw new TooManyRequestsError(Math.max(...locks) - now);
}

/**
 * Checks a username and password and opens a session. Unknown user and wrong password fail alike, in
 * body and in work done (a dummy bcrypt compare stands in for the missing hash). Repeated attempts on
 * one username, or from one IP, are refused with 429 until the window passes, even with the right
 * password; a successful sign-in clears the username's count (and upgrades a hash below BCRYPT_COST).
 */
export async function signIn(
  deps: AuthDeps,
  input: SignInInput,
  client: ClientInfo,
): Promise<{ user: User; authorities: string[] } & TokenPair> {
  // Independent round trips run together; the password is still checked only after admission.
  const [, found] = await Promise.all([admitAttempt(deps, input.username, client.ip), findUserByUsername(deps.table, input.username)]);
  const valid = found
    ? await verifyPassword(input.password, found.passwordHash)
    : await verifyAgainstDummy(input.password, deps.config.bcryptCost);
  if (!found || !valid) throw new InvalidCredentialsError();

  const [, , opened] = await Promise.all([
    clearAttempts(deps.table, 'username', normalizeIdentifier(input.username)),
    upgradeHash(deps, found, input.password),
    openSession(deps, found, client),
  ]);
  return { ...opened, authorities: toAuthorities(opened.user.roles) };
}

/**
 * Opens a session for a user whose password was just checked, under the credentials version read with
 * that password. If a password or role change commits in between, nothing is stored: with the password
 * changed the sign-in fails like a wrong password; with only the roles changed, it opens the session
 * under the new version and roles (the password checked is still the user's).
 */
async function openSession(deps: AuthDeps, checked: User, client: ClientInfo): Promise<{ user: User } & TokenPair> {
  let user = checked;
  for (let attempt = 0; attempt < 3; attempt++) {
    const sessionId = randomUUID();
    const { token, record } = newRefreshRecord(deps, user.id, sessionId);
    const session = {
      userId: user.id,
      sessionId,
      createdAt: record.createdAt,
      lastUsedAt: record.createdAt,
      userAgent: client.userAgent?.slice(0, 256),
      ip: client.ip,
      expiresAt: record.expiresAt,
      credVersion: user.credVersion,
    };
    if (await createSession(deps.table, session, record)) {
      return { user, accessToken: await accessTokenFor(deps, user.id, user.roles, sessionId), refreshToken: token };
    }
    // (A re-hash at sign-in changes the hash but not the version, so it never lands here.)
    const current = await getUser(deps.table, user.id);
    if (!current || current.passwordHash !== checked.passwordHash) throw new InvalidCredentialsError();
    user = current;
  }
  throw new InvalidCredentialsError();
}

/**
 * After a raise of BCRYPT_COST, stored hashes move to the new cost at their owner's next sign-in (the
 * only time the password is at hand). Never lowers a cost.
 */
async function upgradeHash(deps: AuthDeps, user: User, password: string): Promise<void> {
  if (!needsRehash(user.passwordHash, deps.config.bcryptCost)) return;
  await updateProfile(deps.table, user.id, { passwordHash: await hashPassword(password, deps.config.bcryptCost) }, user.passwordHash);
}

/** A presented refresh token and its stored record. Throws RefreshTokenError `missing` or `unknown`. */
export async function findRefreshToken(
  deps: Omit<AuthDeps, 'keys'>,
  refreshToken: string | undefined,
): Promise<{ token: string; stored: RefreshTokenRecord }> {
  if (!refreshToken) throw new RefreshTokenError('missing');
  const stored = await getRefreshToken(deps.table, hashRefreshToken(refreshToken));
  if (!stored) throw new RefreshTokenError('unknown');
  return { token: refreshToken, stored };
}

/**
 * Exchanges a refresh token for a new access token and (with rotation on) a new refresh token.
 * Roles come from the stored user, so a role change applies at the next refresh. Presenting a token
 * that was already exchanged, including losing a race to exchange it, revokes the whole session: the
 * token may have been stolen, and only the session's end stops both holders.
 */
export async function refreshSession(deps: AuthDeps, refreshToken: string | undefined): Promise<TokenPair> {
  const { token, stored } = await findRefreshToken(deps, refreshToken);
  const now = deps.now();
  if (stored.expiresAt <= epochSeconds(now)) throw new RefreshTokenError('expired');

  if (stored.rotatedAt) {
    await revokeSession(deps.table, stored.userId, stored.sessionId, now.toISOString());
    throw new RefreshTokenError('reused');
  }
  const { session, user } = await getSessionWithUser(deps.table, stored.userId, stored.sessionId);
  // Revoked, or opened before the user's password or roles last changed: the session is over.
  if (!isLive(session, user, epochSeconds(now)) || !user) throw new RefreshTokenError('unknown');

  if (!deps.config.refreshRotation) {
    if (!(await touchSession(deps.table, user.id, session.sessionId, now.toISOString()))) {
      throw new RefreshTokenError('unknown');
    }
    return { accessToken: await accessTokenFor(deps, user.id, user.roles, session.sessionId), refreshToken: token };
  }

  const next = newRefreshRecord(deps, user.id, session.sessionId);
  const outcome = await rotateRefreshToken(deps.table, stored, next.record, now.toISOString());
  if (outcome === 'token-already-used') {
    await revokeSession(deps.table, stored.userId, stored.sessionId, now.toISOString());
    throw new RefreshTokenError('reused');
  }
  if (outcome === 'session-revoked') throw new RefreshTokenError('unknown');
  return { accessToken: await accessTokenFor(deps, user.id, user.roles, session.sessionId), refreshToken: next.token };
}
