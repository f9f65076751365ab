import type fc from 'fast-check';
import type { ApiResponse } from '../api';
import { deleteUser, resetMfa, setRoles, signUp } from './admin-ops';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { hashRecoveryCode } from '../../../lib/account/totp';
import { itemKeys } from '../../../lib/store/item-keys';
import { getUser } from '../../../lib/store/users';
import { checkEvents, probeDead, probeDeadAccess } from './checks';
import { changePassword, deleteSelf, forgot, mfaOff, mfaOn, renewCodes, reset } from './credential-ops';
import { call, claimsOf } from './http';
import { addPasskey, passkeySignIn } from './passkey-ops';
import type { Context, OpSpec, Plan, Planner } from './plan';
import { applyRefresh, refresh, refreshRace, revokeSession, signIn, signOut, verifyMfa } from './session-ops';
import { isAlive, LOCKOUT_THRESHOLD, type Model, type ModelUser, Mismatch, signature, userOf } from './state';

export const PLANNERS: Record<string, Planner> = {
  signUp,
  signIn,
  verifyMfa,
  refresh,
  refreshRace,
  signOut,
  revokeSession,
  changePassword,
  forgot,
  reset,
  mfaOn,
  mfaOff,
  setRoles,
  resetMfa,
  deleteUser,
  deleteSelf,
  renewCodes,
  addPasskey,
  passkeySignIn,
};

export function plansFor(model: Model, specs: OpSpec[]): Plan[] | undefined {
  const plans = specs.map((spec) => PLANNERS[spec.kind]!(model, spec));
  if (plans.some((plan) => plan === undefined)) return undefined;
  // A race is of operations that each take one request and no state between requests.
  if (plans.length > 1 && plans.some((plan) => !plan!.racy)) return undefined;
  // Each plan checks the lockout on its own; together the racing ones must stay within it too (a
  // wrong sign-in and new recovery codes, then three sign-ins at once, made a sixth attempt: seed -329953412).
  const user = plans.length > 1 ? model.users.find((u) => plans[0]!.users.includes(u.key)) : undefined;
  if (user && user.attempts + plans.reduce((sum, plan) => sum + (plan!.attempts ?? 0), 0) > LOCKOUT_THRESHOLD) return undefined;
  return plans as Plan[];
}

/** How many steps of each kind ran (printed after the run: a model run that never races proves little). */
export const executed: Record<string, number> = {};

/** The count, beside the steps', of sessions that died by the credentials version alone (checks.ts probeDeadAccess). */
const VERSION_DEATHS = '(sessions dead by the credentials version alone)';

const permutations = <T>(list: T[]): T[][] =>
  list.length <= 1 ? [list] : list.flatMap((item, i) => permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((rest) => [item, ...rest]));

/**
 * One step of a sequence: one operation, or (a race) two or three sent at once to one user, which the
 * model accepts in any order the service could have serialised them in. After it: the sessions it
 * ended are refused at once, and the admin list and the touched users' events agree with the model.
 */
export class Step implements fc.AsyncCommand<Model, Context> {
  constructor(readonly specs: OpSpec[]) {}

  check(model: Model): boolean {
    return plansFor(model, this.specs) !== undefined;
  }

  async run(model: Model, context: Context): Promise<void> {
    const plans = plansFor(model, this.specs)!;
    const label = plans.length === 1 ? this.specs[0]!.kind : 'race';
    executed[label] = (executed[label] ?? 0) + 1;
    // And what the races held, so a run shows which operations met others at once.
    if (plans.length > 1) for (const { kind } of this.specs) executed[`race:${kind}`] = (executed[`race:${kind}`] ?? 0) + 1;
    const answers = await Promise.all(plans.map((plan) => plan.send(context)));
    if (plans.length === 1) plans[0]!.apply(model, answers[0]!, false);
    else await settleRace(model, plans, answers, context);
    const now = Date.now();
    for (const session of model.sessions) {
      if (isAlive(model, session) || session.diedAt !== undefined) continue;
      session.diedAt = now;
      await probeDead(model, session.key);
      // Counted beside the steps: a run in which no session dies so proves nothing of the authorizer's version check.
      if (await probeDeadAccess(model, session.key)) executed[VERSION_DEATHS] = (executed[VERSION_DEATHS] ?? 0) + 1;
    }
    for (const key of new Set(plans.flatMap((plan) => plan.users))) await checkEvents(model, context, key);
  }

  toString(): string {
    const labels = this.specs.map((spec) => `${spec.kind}(u${spec.u},s${spec.s},t${spec.t}${spec.flag ? ',flag' : ''})`);
    return labels.length === 1 ? labels[0]! : `race[${labels.join(' || ')}]`;
  }
}

/**
 * Replays the answers of a race on a copy of the model for every order, keeps the orders that explain
 * them, and, when those disagree, asks the service: a refresh of a session they disagree on the life
 * of, and the stored profile for a user they disagree on the roles or MFA of.
 */
export async function settleRace(model: Model, plans: Plan[], answers: ApiResponse[][], context: Context): Promise<void> {
  const failures: string[] = [];
  let candidates: Model[] = [];
  for (const order of permutations(plans.map((_, i) => i))) {
    const copy = structuredClone(model);
    try {
      for (const i of order) plans[i]!.apply(copy, answers[i]!, true);
      candidates.push(copy);
    } catch (error) {
      if (!(error instanceof Mismatch)) throw error;
      failures.push(`${order.map((i) => plans[i]!.label).join(' then ')}: ${error.message}`);
    }
  }
  if (candidates.length === 0) {
    const seen = plans.map((plan, i) => `${plan.label} -> ${answers[i]!.map((a) => a.status).join(',')}`).join('; ');
    throw new Mismatch(`no order of the race explains its answers (${seen}):\n  ${failures.join('\n  ')}`);
  }
  // Sessions by their real id, not the model's key: two racing sign-ins hold each other's key in two orders.
  for (const sid of new Set(candidates[0]!.sessions.map((s) => s.sid))) {
    if (new Set(candidates.map(signature)).size <= 1) break;
    const found = candidates.map((c) => c.sessions.find((s) => s.sid === sid)!);
    const alive = new Set(candidates.map((c, i) => isAlive(c, found[i]!)));
    const tokens = new Set(found.map((s) => s.refreshToken));
    if (alive.size <= 1 || tokens.size > 1) continue;
    const token = found[0]!.refreshToken;
    const answer = await call(userOf(candidates[0]!, found[0]!.userKey).ip, 'POST', '/api/auth/refreshtoken', { refreshToken: token });
    candidates = explaining(candidates, (c, i) => applyRefresh(c, found[i]!.key, token, answer, false));
    if (candidates.length === 0) throw new Mismatch(`no order of the race explains a refresh of ${found[0]!.key} after it (${answer.status})`);
  }
  // Per user, what the orders may still disagree on: the stored state says which order the service took.
  for (const { what, ofModel, read, shown } of OBSERVED) {
    for (const { key } of candidates[0]!.users) {
      if (new Set(candidates.map((c) => ofModel(userOf(c, key)))).size <= 1) continue;
      const stored = await read(userOf(candidates[0]!, key), context);
      candidates = candidates.filter((c) => ofModel(userOf(c, key)) === stored);
      if (candidates.length === 0) throw new Mismatch(`no order of the race explains ${key}'s ${what} after it${shown ? ` (${stored})` : ''}`);
    }
  }
  Object.assign(model, candidates[0]!);
}

/** A user's recovery codes as the model has them, in the stored form (hashes, sorted). */
const codesOf = (user: ModelUser) => JSON.stringify((user.mfa?.recoveryCodes ?? []).map(hashRecoveryCode).sort());

/** The hashes of the recovery codes stored now (an observation to settle a race). */
async function storedCodes(userId: string, context: Context): Promise<string> {
  const { Item } = await context.table.client.send(new GetCommand({ TableName: context.table.name, Key: itemKeys.user(userId), ConsistentRead: true }));
  return JSON.stringify(Item?.recoveryCodes instanceof Set ? [...Item.recoveryCodes].map(String).sort() : []);
}

/** Which of a user's MFA challenges the model holds live: handed out under the user's credentials as they are, not spent. */
const challengesOf = (user: ModelUser) => JSON.stringify(user.challenges.map((c) => !user.deleted && c.live && c.credVersion === user.credVersion));

/** The same as stored now: each challenge's item still there, under the profile's credentials version (an observation to settle a race). */
async function storedChallenges(user: ModelUser, context: Context): Promise<string> {
  const read = (key: { pk: string; sk: string }) =>
    context.table.client.send(new GetCommand({ TableName: context.table.name, Key: key, ConsistentRead: true })).then((r) => r.Item);
  const profile = await read(itemKeys.user(user.id));
  const live = await Promise.all(
    user.challenges.map(async ({ mfaToken }) => {
      const challenge = await read(itemKeys.mfaChallenge(claimsOf(mfaToken).jti ?? ''));
      return profile !== undefined && challenge !== undefined && Number(challenge.credVersion) === Number(profile.credVersion ?? 0);
    }),
  );
  return JSON.stringify(live);
}

/** The candidates a check (applied to each, with its index) does not refute. */
function explaining(candidates: Model[], check: (candidate: Model, index: number) => void): Model[] {
  return candidates.filter((candidate, index) => {
    try {
      check(candidate, index);
      return true;
    } catch (error) {
      if (error instanceof Mismatch) return false;
      throw error;
    }
  });
}

/** What the model says is stored of a user: roles and MFA, or nothing once deleted. */
const listedAs = (user: ModelUser) => (user.deleted ? 'absent' : `${[...user.roles].sort()}:${user.mfa !== undefined}`);

/** The user as stored now, read from the table (an observation to settle a race, not a check of the list). */
async function storedAs(userId: string, context: Context): Promise<string> {
  const user = await getUser(context.table, userId);
  return user ? `${[...user.roles].sort()}:${user.mfaEnabled}` : 'absent';
}

/** What a race's orders may disagree on of one user, as the model has it and as stored now (`shown`: the stored value goes in the message). */
const OBSERVED: { what: string; ofModel: (user: ModelUser) => string; read: (user: ModelUser, context: Context) => Promise<string>; shown: boolean }[] = [
  // Two role changes at once both succeed in either order.
  { what: 'roles and MFA', ofModel: listedAs, read: (user, context) => storedAs(user.id, context), shown: true },
  // A sign-in's first step racing a credentials change (with MFA on): its challenge lives iff the change
  // came first, and the answers (200 and a challenge either way) do not tell (seed 680558156).
  { what: 'MFA challenges', ofModel: challengesOf, read: storedChallenges, shown: true },
  // Two renewals of one user's recovery codes at once: the orders disagree on which set was written last.
  { what: 'recovery codes', ofModel: codesOf, read: (user, context) => storedCodes(user.id, context), shown: false },
];
