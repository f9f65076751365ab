import type fc from 'fast-check';
import type { ApiResponse } from '../api';
import { deleteUser, resetMfa, setRoles, signUp } from './admin-ops';
import { checkEvents, probeDead } from './checks';
import { changePassword, forgot, mfaOff, mfaOn, reset } from './credential-ops';
import { call } from './http';
import type { Context, OpSpec, Plan, Planner } from './plan';
import { applyRefresh, refresh, refreshRace, revokeSession, signIn, signOut, verifyMfa } from './session-ops';
import { isAlive, type Model, Mismatch, signature, userOf } from './state';

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
};

function plansFor(model: Model, specs: OpSpec[]): Plan[] | undefined {
  const plans = specs.map((spec) => PLANNERS[spec.kind]!(model, spec));
  if (plans.some((plan) => plan === undefined)) return undefined;
  // A race is of operations that each take one request and no state between requests.
  if (plans.length > 1 && plans.some((plan) => !plan!.racy)) return undefined;
  return plans as Plan[];
}

/** How many steps of each kind ran (printed after the run: a model run that never races proves little). */
export const executed: Record<string, number> = {};

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
    const answers = await Promise.all(plans.map((plan) => plan.send(context)));
    if (plans.length === 1) plans[0]!.apply(model, answers[0]!, false);
    else await settleRace(model, plans, answers);
    const now = Date.now();
    for (const session of model.sessions) {
      if (isAlive(model, session) || session.diedAt !== undefined) continue;
      session.diedAt = now;
      await probeDead(model, session.key);
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
 * them, and (when those disagree on whether a session lives) asks the service with a refresh of it.
 */
async function settleRace(model: Model, plans: Plan[], answers: ApiResponse[][]): Promise<void> {
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
  for (const session of candidates[0]!.sessions) {
    if (new Set(candidates.map(signature)).size <= 1) break;
    const alive = new Set(candidates.map((c) => isAlive(c, c.sessions.find((s) => s.key === session.key)!)));
    const tokens = new Set(candidates.map((c) => c.sessions.find((s) => s.key === session.key)!.refreshToken));
    if (alive.size <= 1 || tokens.size > 1) continue;
    const user = userOf(candidates[0]!, session.userKey);
    const answer = await call(user.ip, 'POST', '/api/auth/refreshtoken', { refreshToken: session.refreshToken });
    candidates = candidates.filter((c) => {
      try {
        applyRefresh(c, session.key, session.refreshToken, answer, false);
        return true;
      } catch (error) {
        if (error instanceof Mismatch) return false;
        throw error;
      }
    });
    if (candidates.length === 0) throw new Mismatch(`no order of the race explains a refresh of ${session.key} after it (${answer.status})`);
  }
  Object.assign(model, candidates[0]!);
}
