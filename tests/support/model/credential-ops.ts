import { awaitMails, forgetMailQuota, linkToken } from '../mail';
import { call, currentStep, totpCode } from './http';
import { expectStatus, latestAccess, liveSession, newPassword, pick, pickUser, type Planner, refusedForStaleAuth } from './plan';
import type { ApiResponse } from '../api';
import { addEvent, changeCredentials, expectThat, LOCKOUT_THRESHOLD, type Model, type ModelUser, sessionOf, sessionsOf, userOf } from './state';

// Operations on what a user signs in with. Those that check the password count against the username's
// lockout (state.ts LOCKOUT_THRESHOLD): the model keeps an upper bound of the count and never plans a sixth.
/** EMAIL_IP_THRESHOLD of the security stack: sign-up's link and each forgot count against the user's address. */
const MAIL_IP_THRESHOLD = 5;

/**
 * The answer to an operation from a live session that checks the password (`password`, as the model had
 * it when the step was planned): a stale session's 401 in a race, a refusal once the password changed,
 * or success. The attempt counts against the username's lockout. The user when it succeeded.
 */
function passwordAccepted(
  m: Model,
  userKey: string,
  viaKey: string,
  password: string,
  answer: ApiResponse | undefined,
  racing: boolean,
  what: string,
): ModelUser | undefined {
  const u = userOf(m, userKey);
  // Counted even when refused as a stale session's: the handler may have read the user (and counted the
  // attempt) before the session's end was written, then been refused (seed 105064673: a renewal racing
  // the user's deletion made the sweep's sign-in a sixth attempt, 429).
  u.attempts += 1;
  if (refusedForStaleAuth(m, sessionOf(m, viaKey), answer, racing)) return undefined;
  if (u.password !== password) {
    expectStatus(answer, 401, `${what} with an old password is refused`);
    return undefined;
  }
  expectStatus(answer, 200, `${what} from a live session succeeds`);
  return u;
}

export const changePassword: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const via = user && liveSession(model, user, spec.s);
  if (!user || !via || user.attempts + 1 > LOCKOUT_THRESHOLD) return undefined;
  const next = newPassword();
  const current = user.password;
  return {
    label: `changePassword(u${spec.u}.s${spec.s})`,
    users: [user.key],
    racy: true,
    attempts: 1,
    send: async () => [await call(user.ip, 'POST', '/api/auth/password', { currentPassword: current, newPassword: next }, { token: latestAccess(via) })],
    apply(m, [answer], racing) {
      const u = passwordAccepted(m, user.key, via.key, current, answer, racing, 'a password change');
      if (!u) return;
      u.password = next;
      changeCredentials(m, u, { revokeAll: true });
      addEvent(u, 'password.change');
    },
  };
};

/** Forgot password, and the reset link read from the SES emulator's store (sequential only: it waits for mail). */
export const forgot: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  if (!user || user.mailRequests + 1 > MAIL_IP_THRESHOLD) return undefined;
  let token: string | undefined;
  const seen = user.resetLinks.length;
  return {
    label: `forgot(u${spec.u})`,
    users: [user.key],
    racy: false,
    async send(context) {
      if (!user.deleted) {
        // Each address gets one mail a minute: the previous one (sign-up's link, or a reset link) has
        // arrived, so the quota can be forgotten without it being taken again behind our back.
        await awaitMails(user.email, /^Confirm your email/, 1);
        await forgetMailQuota(context.table, user.email);
      }
      const answer = await call(user.ip, 'POST', '/api/auth/password/forgot', { email: user.email });
      if (answer.status === 202 && !user.deleted) token = linkToken((await awaitMails(user.email, /^Reset your/, seen + 1)).at(-1)!);
      return [answer];
    },
    apply(m, [answer]) {
      const u = userOf(m, user.key);
      u.mailRequests += 1;
      expectStatus(answer, 202, 'forgot answers 202 whatever the address');
      if (u.deleted || !token) return;
      for (const link of u.resetLinks) link.live = false;
      u.resetLinks.push({ token, live: true });
    },
  };
};

/** A reset with one of the mailed links (`t` picks which: the latest or an older one). */
export const reset: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const link = user && pick(user.resetLinks, spec.flag ? spec.t : user.resetLinks.length - 1);
  if (!user || !link) return undefined;
  const index = user.resetLinks.indexOf(link);
  const next = newPassword();
  return {
    label: `reset(u${spec.u}, link ${spec.flag ? spec.t : 'latest'})`,
    users: [user.key],
    racy: true,
    send: async () => [await call(user.ip, 'POST', '/api/auth/password/reset', { token: link.token, newPassword: next })],
    apply(m, [answer], racing) {
      const u = userOf(m, user.key);
      const l = u.resetLinks[index]!;
      if (u.deleted || !l.live) {
        return expectStatus(
          answer,
          400,
          `a reset link is spent by its reset and by every credentials change${u.deleted ? ' (and a deleted user has nothing left)' : ''}`,
        );
      }
      expectStatus(answer, 200, 'the live reset link resets the password');
      u.password = next;
      // Cleared as a sign-in's success clears it (an upper bound when raced, see signIn).
      if (!racing) u.attempts = 0;
      changeCredentials(m, u, { revokeAll: true });
      addEvent(u, 'password.reset');
    },
  };
};

/** MFA on: setup with the password, confirm with a code from the secret. The caller's session lives on, every other ends. */
export const mfaOn: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const via = user && liveSession(model, user, spec.s);
  if (!user || !via || user.mfa || user.attempts + 1 > LOCKOUT_THRESHOLD) return undefined;
  let secret = '';
  let step = 0;
  return {
    label: `mfaOn(u${spec.u}.s${spec.s})`,
    users: [user.key],
    racy: false,
    async send() {
      const token = latestAccess(via);
      const setup = await call(user.ip, 'POST', '/api/auth/mfa/totp/setup', { password: user.password }, { token });
      if (setup.status !== 200) return [setup];
      secret = setup.json.secret as string;
      step = currentStep();
      return [setup, await call(user.ip, 'POST', '/api/auth/mfa/totp/confirm', { code: totpCode(secret, step) }, { token })];
    },
    apply(m, [setup, confirm]) {
      const u = userOf(m, user.key);
      u.attempts += 1;
      expectStatus(setup, 200, 'MFA setup from a live session succeeds');
      expectStatus(confirm, 200, 'MFA confirm with a code of the secret succeeds');
      const recoveryCodes = confirm.json.recoveryCodes as string[];
      expectThat(Array.isArray(recoveryCodes) && recoveryCodes.length === 10, 'MFA confirm returns 10 recovery codes');
      u.mfa = { secret, recoveryCodes, lastStep: step };
      changeCredentials(m, u, { revokeAll: false, keep: via.key });
      addEvent(u, 'mfa.enable');
    },
  };
};

export const mfaOff: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const via = user && liveSession(model, user, spec.s);
  if (!user || !via || !user.mfa || user.attempts + 1 > LOCKOUT_THRESHOLD) return undefined;
  const password = user.password;
  return {
    label: `mfaOff(u${spec.u}.s${spec.s})`,
    users: [user.key],
    racy: true,
    attempts: 1,
    send: async () => [await call(user.ip, 'DELETE', '/api/auth/mfa/totp', { password }, { token: latestAccess(via) })],
    apply(m, [answer], racing) {
      const u = passwordAccepted(m, user.key, via.key, password, answer, racing, 'MFA off');
      if (!u) return;
      u.mfa = undefined;
      changeCredentials(m, u, { revokeAll: false, keep: via.key });
      addEvent(u, 'mfa.disable');
    },
  };
};

/** The user deletes their own account with the password: every session ends, the name and email are free again. */
export const deleteSelf: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const via = user && liveSession(model, user, spec.s);
  if (!user || !via || user.attempts + 1 > LOCKOUT_THRESHOLD) return undefined;
  const password = user.password;
  return {
    label: `deleteSelf(u${spec.u}.s${spec.s})`,
    users: [user.key],
    racy: true,
    attempts: 1,
    send: async () => [await call(user.ip, 'DELETE', '/api/auth/me', { password }, { token: latestAccess(via) })],
    apply(m, [answer], racing) {
      const u = passwordAccepted(m, user.key, via.key, password, answer, racing, 'deleting one’s own account');
      if (!u) return;
      u.deleted = true;
      u.events = {};
      for (const session of sessionsOf(m, u.key)) session.revoked = true;
    },
  };
};

/**
 * Ten new recovery codes with the password; the old ones die. With MFA off by the time it runs (in a
 * race: MFA off came first), 400.
 */
export const renewCodes: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const via = user && liveSession(model, user, spec.s);
  if (!user || !via || !user.mfa || user.attempts + 1 > LOCKOUT_THRESHOLD) return undefined;
  const password = user.password;
  return {
    label: `renewCodes(u${spec.u}.s${spec.s})`,
    users: [user.key],
    racy: true,
    attempts: 1,
    send: async () => [await call(user.ip, 'POST', '/api/auth/mfa/recovery-codes', { password }, { token: latestAccess(via) })],
    apply(m, [answer], racing) {
      const u = userOf(m, user.key);
      u.attempts += 1; // even when refused as a stale session's (passwordAccepted)
      if (refusedForStaleAuth(m, sessionOf(m, via.key), answer, racing)) return;
      if (u.password !== password) return expectStatus(answer, 401, 'new recovery codes with an old password are refused');
      if (!u.mfa) return expectStatus(answer, 400, 'new recovery codes with MFA off are refused');
      expectStatus(answer, 200, 'new recovery codes from a live session succeed');
      const recoveryCodes = answer.json.recoveryCodes as string[];
      expectThat(Array.isArray(recoveryCodes) && recoveryCodes.length === 10, 'new recovery codes are 10');
      u.mfa.recoveryCodes = recoveryCodes;
      addEvent(u, 'recovery.regenerate');
    },
  };
};
