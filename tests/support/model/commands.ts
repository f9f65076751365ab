import fc from 'fast-check';
import type { OpSpec } from './plan';
import { Step } from './step';

const spec = (kinds: readonly string[], u: fc.Arbitrary<number> = fc.nat(2)): fc.Arbitrary<OpSpec> =>
  fc.record({ kind: fc.constantFrom(...kinds), u, s: fc.nat(3), t: fc.nat(3), flag: fc.boolean() });

/** Operations of one request that a race may hold (multi-request ones, sign-up, forgot and MFA on, run alone). */
const RACY = ['signIn', 'verifyMfa', 'refresh', 'signOut', 'revokeSession', 'changePassword', 'reset', 'mfaOff', 'setRoles', 'resetMfa', 'deleteUser'];

/** Two or three operations on one user at once: where the revocation bugs were. */
const race = fc
  .nat(2)
  .chain((u) => fc.array(spec(RACY, fc.constant(u)), { minLength: 2, maxLength: 3 }))
  .map((specs) => new Step(specs));

const single = (kinds: string[]) => spec(kinds).map((s) => new Step([s]));

/**
 * The commands of a sequence. fc.commands draws from these evenly, so the frequent operations of real
 * use (sign-in, refresh) are listed more than once; deletion, once, as it ends a user's part of the run.
 */
export const COMMANDS = [
  single(['signIn', 'refresh']),
  single(['signIn', 'verifyMfa']),
  single(['refresh', 'signOut']),
  single(['revokeSession', 'changePassword']),
  single(['forgot', 'reset']),
  single(['mfaOn', 'mfaOff']),
  single(['setRoles', 'resetMfa']),
  single(['signUp', 'refreshRace']),
  single(['deleteUser']),
  race,
  race,
];
