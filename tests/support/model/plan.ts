import { randomBytes } from 'node:crypto';
import type { ApiResponse } from '../api';
import type { Table } from '../../../lib/store/table';
import { expectThat, isAlive, type Model, type ModelSession, type ModelUser, sessionsOf, userOf } from './state';

/** What the commands need besides the model: the admin's token and the table (for the mail quota only). */
export interface Context {
  adminToken: () => Promise<string>;
  table: Table;
}

/** The generated, abstract form of one operation: indices resolved against the model when it runs, so shrinking keeps meaning. */
export interface OpSpec {
  kind: string;
  /** User, session and other indices, taken modulo what the model holds. */
  u: number;
  s: number;
  t: number;
  flag: boolean;
}

/**
 * One operation resolved against the model: `send` does HTTP only; `apply` checks the answers against
 * the model and moves it on (pure, so a race can apply it to copies, once per order). `racing` says
 * the operation ran concurrently with others: answers that depend on which request the database saw
 * first are then accepted in every form a serialisation allows.
 */
export interface Plan {
  label: string;
  /** Users whose events and state the step changes. */
  users: string[];
  /** False for operations of several requests with state in between: they run only on their own. */
  racy: boolean;
  /** Sign-in-like attempts it counts against its user's username (the lockout), when it checks a password. */
  attempts?: number;
  send(context: Context): Promise<ApiResponse[]>;
  apply(model: Model, answers: ApiResponse[], racing: boolean): void;
}

export type Planner = (model: Model, spec: OpSpec) => Plan | undefined;

export const pick = <T>(list: readonly T[], index: number): T | undefined => (list.length === 0 ? undefined : list[index % list.length]);

export const pickUser = (model: Model, spec: OpSpec): ModelUser | undefined => pick(model.users, spec.u);

/** A live session of the user (the access token an authenticated operation sends). */
export const liveSession = (model: Model, user: ModelUser, index: number): ModelSession | undefined =>
  pick(
    sessionsOf(model, user.key).filter((s) => isAlive(model, s)),
    index,
  );

export const newPassword = () => `pw ${randomBytes(6).toString('hex')}`;

export const latestAccess = (session: ModelSession) => session.accessTokens.at(-1) ?? '';

/** The answer's status is the model's, or the message says which invariant broke. */
export function expectStatus(answer: ApiResponse | undefined, status: number, message: string): asserts answer is ApiResponse {
  expectThat(answer?.status === status, `${message} (expected ${status}, got ${answer?.status} ${answer?.text.slice(0, 160)})`);
}

/**
 * An authenticated operation in a race whose session died earlier in the order being tried: the
 * authorizer may have checked it before or after (and its cache may hold it up to the revocation
 * bound), so a 401 is as good an answer as the operation's own.
 */
export function refusedForStaleAuth(model: Model, session: ModelSession, answer: ApiResponse | undefined, racing: boolean): boolean {
  return racing && !isAlive(model, session) && answer?.status === 401;
}

/** Why a session is dead, as the invariant that says it must be. */
export function deadBecause(model: Model, session: ModelSession): string {
  const user = userOf(model, session.userKey);
  if (user.deleted) return 'a deleted user has nothing left';
  if (session.credVersion !== user.credVersion && !session.revoked) return 'no session opened before a credentials change survives it';
  return 'refresh works iff the model says its session is alive';
}
