import fc from 'fast-check';
import type { OpSpec } from './plan';
import { Step } from './step';

const spec = (kinds: readonly string[], u: fc.Arbitrary<number> = fc.nat(2)): fc.Arbitrary<OpSpec> =>
  fc.record({ kind: fc.constantFrom(...kinds), u, s: fc.nat(3), t: fc.nat(3), flag: fc.boolean() });

/**
 * Operations of one request that a race may hold (multi-request ones, sign-up, forgot and MFA on, run
 * alone); listed once per weight, deletion least, as it ends the user's part of the run.
 */
const RACY = [
  ...['signIn', 'refresh', 'verifyMfa', 'changePassword', 'setRoles', 'passkeySignIn'].flatMap((kind) => [kind, kind, kind]),
  ...['signOut', 'revokeSession', 'reset', 'mfaOff', 'resetMfa', 'renewCodes'].flatMap((kind) => [kind, kind]),
  'deleteUser',
  'deleteSelf',
];

/** Two or three operations on one user at once: where the revocation bugs were. */
const race = fc
  .nat(2)
  .chain((u) => fc.array(spec(RACY, fc.constant(u)), { minLength: 2, maxLength: 3 }))
  .map((specs) => new Step(specs));

/**
 * How often each operation is drawn alone: the frequent ones of real use most, deletion (which ends a
 * user's part of the run) least. MFA off as often as MFA on: half the sequences start with MFA on, where
 * it is the one change that ends the other device's session by the credentials version alone.
 */
const WEIGHTS: Record<string, number> = {
  signIn: 4,
  refresh: 4,
  verifyMfa: 3,
  mfaOn: 3,
  signOut: 2,
  changePassword: 2,
  reset: 2,
  forgot: 2,
  revokeSession: 1,
  mfaOff: 3,
  setRoles: 1,
  resetMfa: 1,
  signUp: 1,
  refreshRace: 2,
  deleteUser: 1,
  deleteSelf: 1,
  renewCodes: 1,
  addPasskey: 2,
  passkeySignIn: 3,
};

const single = fc.oneof(...Object.entries(WEIGHTS).map(([kind, weight]) => ({ weight, arbitrary: spec([kind]).map((s) => new Step([s])) })));

/** The commands of a sequence: one operation at a time, or (about one step in five) a race. */
export const COMMANDS = [fc.oneof({ weight: 4, arbitrary: single }, { weight: 1, arbitrary: race })];
