/**
 * The model of the account state machine (tests/security/model.test.ts): what the contract says must
 * be true of users, sessions and tokens, kept as plain data so a race can be replayed on copies of it,
 * once per order the service could have chosen.
 */

/** LOCKOUT_THRESHOLD in the security stack: sign-in-like attempts per name per window. */
export const LOCKOUT_THRESHOLD = 5;
export type Role = 'user' | 'moderator';

/** An event count the service may show: exact after a sequential step, a range after a race. */
export type Range = [min: number, max: number];

export interface ModelUser {
  key: string;
  id: string;
  username: string;
  email: string;
  password: string;
  /** Every request of this user comes from this loopback address: per-IP limits see one user each. */
  ip: string;
  roles: Role[];
  /** Bumped by every credentials change (password, reset, roles, MFA on/off or reset). */
  credVersion: number;
  mfa: { secret: string; recoveryCodes: string[]; lastStep: number } | undefined;
  deleted: boolean;
  /** Sign-in-like attempts since the username's counter was last cleared (LOCKOUT_THRESHOLD). */
  attempts: number;
  /** Second-factor attempts since the last success (MFA_CODE_THRESHOLD). */
  codeAttempts: number;
  /** Mail requests from this user's address: sign-up's link and each forgot (EMAIL_IP_THRESHOLD). */
  mailRequests: number;
  /** Reset links mailed, oldest first; only one can be live. */
  resetLinks: { token: string; live: boolean }[];
  /** MFA challenges handed out by sign-in (first step), oldest first. */
  challenges: { mfaToken: string; credVersion: number; live: boolean }[];
  /** Ids of the passkeys registered (their private keys are kept outside the model: passkey-ops.ts). */
  passkeys: string[];
  events: Record<string, Range>;
}

export interface ModelSession {
  key: string;
  userKey: string;
  sid: string;
  refreshToken: string;
  /** Refresh tokens already exchanged: presenting one is reuse. */
  rotated: string[];
  /** Every access token issued for the session (sign-in and each refresh), newest last. */
  accessTokens: string[];
  cookie: string;
  revoked: boolean;
  /** The user's credVersion the session lives under. */
  credVersion: number;
  /** Wall-clock ms when the step that ended it answered: the revocation bound counts from there. */
  diedAt?: number;
}

export interface Model {
  prefix: string;
  users: ModelUser[];
  sessions: ModelSession[];
  /** Counter for names and passwords made during the sequence. */
  made: number;
}

export function newModel(prefix: string): Model {
  return { prefix, users: [], sessions: [], made: 0 };
}

export const userOf = (model: Model, key: string): ModelUser => {
  const user = model.users.find((u) => u.key === key);
  if (!user) throw new Error(`model has no user ${key}`);
  return user;
};

export const sessionOf = (model: Model, key: string): ModelSession => {
  const session = model.sessions.find((s) => s.key === key);
  if (!session) throw new Error(`model has no session ${key}`);
  return session;
};

/** The contract's liveness: not signed out or revoked, its user still there, under the user's current credentials. */
export function isAlive(model: Model, session: ModelSession): boolean {
  const user = userOf(model, session.userKey);
  return !session.revoked && !user.deleted && session.credVersion === user.credVersion;
}

export const sessionsOf = (model: Model, userKey: string) => model.sessions.filter((s) => s.userKey === userKey);

export function addEvent(user: ModelUser, type: string, range: Range = [1, 1]): void {
  const [min, max] = user.events[type] ?? [0, 0];
  user.events[type] = [min + range[0], max + range[1]];
}

/**
 * A credentials change: every session ends (those of `keep` excepted, re-stamped under the new
 * version, as MFA on/off keeps the caller's) and the live reset link is spent.
 */
export function changeCredentials(model: Model, user: ModelUser, options: { revokeAll: boolean; keep?: string }): void {
  user.credVersion += 1;
  for (const link of user.resetLinks) link.live = false;
  for (const session of sessionsOf(model, user.key)) {
    if (session.key === options.keep) session.credVersion = user.credVersion;
    else if (options.revokeAll) session.revoked = true;
  }
}

/** What the sessions' liveness and the users' state come to, to tell two candidate models apart. */
export function signature(model: Model): string {
  return JSON.stringify({
    users: model.users.map((u) => [u.key, u.password, u.roles, u.credVersion, !!u.mfa, u.deleted, u.resetLinks, u.challenges.map((c) => c.live)]),
    sessions: model.sessions.map((s) => [s.key, s.refreshToken, s.revoked, isAlive(model, s)]),
  });
}

/** A check the service failed: its message names the invariant. */
export class Mismatch extends Error {
  override name = 'Mismatch';
}

export function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Mismatch(message);
}
