import { REMEMBERED_TOKENS } from '../../../lib/store/sessions';
import type { ApiResponse } from '../api';
import { call, claimsOf, sessionCookie, totpCode, usableStep } from './http';
import { deadBecause, expectStatus, latestAccess, liveSession, pick, pickUser, type Plan, type Planner, refusedForStaleAuth } from './plan';
import { addEvent, expectThat, isAlive, LOCKOUT_THRESHOLD, type Model, type ModelUser, sessionOf, sessionsOf, userOf } from './state';

const sorted = (list: readonly string[]) => [...list].sort();

/**
 * A sign-in's tokens are the user's as the model has them now: roles (in body and token) and how it was
 * authenticated; `event` is the one the sign-in records (a passkey's: `passkey.signin`).
 */
export function openSession(model: Model, user: ModelUser, answer: ApiResponse, amr: string[], event = 'signin.success'): void {
  const accessToken = answer.json.accessToken as string;
  const claims = claimsOf(accessToken);
  const authorities = user.roles.map((role) => `ROLE_${role.toUpperCase()}`);
  expectThat(
    JSON.stringify(sorted(claims.roles)) === JSON.stringify(sorted(user.roles)) &&
      JSON.stringify(sorted(answer.json.roles as string[])) === JSON.stringify(sorted(authorities)),
    `a role change shows in the next token: signed in with roles ${claims.roles} (${answer.json.roles}), the model has ${user.roles}`,
  );
  expectThat(JSON.stringify(claims.amr) === JSON.stringify(amr), `the answer agrees with the model: amr ${claims.amr}, expected ${amr}`);
  model.sessions.push({
    key: `${user.key}.s${sessionsOf(model, user.key).length}`,
    userKey: user.key,
    sid: claims.sid,
    refreshToken: answer.json.refreshToken as string,
    rotated: [],
    accessTokens: [accessToken],
    cookie: sessionCookie(answer),
    revoked: false,
    credVersion: user.credVersion,
  });
  addEvent(user, event);
}

/** Sign-in with the password (the first step when MFA is on); `flag` sends a wrong one. */
export const signIn: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  // A deleted user's name is locked out as any unknown name is: never a sixth attempt either.
  if (!user || user.attempts + 1 > LOCKOUT_THRESHOLD) return undefined;
  const password = spec.flag ? 'not the password' : user.password;
  const key = user.key;
  return {
    label: `signIn(u${spec.u}${spec.flag ? ', wrong' : ''})`,
    users: [key],
    racy: true,
    attempts: 1,
    send: async () => [await call(user.ip, 'POST', '/api/auth/signin', { username: user.username, password })],
    apply(m, [answer], racing) {
      const u = userOf(m, key);
      if (u.deleted || password !== u.password) {
        expectStatus(answer, 401, `a sign-in with ${u.deleted ? 'a deleted user' : 'a wrong or old password'} is refused`);
        // Racing a password change, a sign-in that checked the old password fails without an event.
        if (!u.deleted) addEvent(u, 'signin.failure', racing ? [0, 1] : [1, 1]);
        u.attempts += 1;
        return;
      }
      expectStatus(answer, 200, 'a sign-in with the current password succeeds');
      // The success clears the name's count, but a raced attempt may be counted after the clear: the
      // model's count is then an upper bound (so it never plans an attempt the service would refuse).
      u.attempts = racing ? u.attempts + 1 : 0;
      if (u.mfa) {
        expectThat(answer.json.mfaRequired === true && typeof answer.json.mfaToken === 'string', 'with MFA on, the password earns only a challenge');
        u.challenges.push({ mfaToken: answer.json.mfaToken as string, credVersion: u.credVersion, live: true });
        return;
      }
      expectThat(answer.json.mfaRequired === undefined, 'with MFA off, the password signs in');
      openSession(m, u, answer, ['pwd']);
    },
  };
};

/** The second step of an MFA sign-in: a TOTP code computed from the secret, or a recovery code when no time step is free. */
export const verifyMfa: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const challenge = user && pick(user.challenges, spec.t);
  if (!user || !challenge || user.codeAttempts + 1 > 10) return undefined;
  const key = user.key;
  const index = user.challenges.indexOf(challenge);
  const mfa = user.mfa;
  const liveWhenPlanned = challenge.live && challenge.credVersion === user.credVersion;
  let used: { step: number } | { recoveryCode: string } | undefined;
  return {
    label: `verifyMfa(u${spec.u}, challenge ${spec.t})`,
    users: [key],
    racy: true,
    async send() {
      const step = mfa && usableStep(mfa.lastStep);
      used = step !== undefined ? { step } : mfa?.recoveryCodes[0] !== undefined ? { recoveryCode: mfa.recoveryCodes[0] } : { step: 0 };
      const code = 'step' in used ? { code: mfa ? totpCode(mfa.secret, used.step) : '000000' } : { recoveryCode: used.recoveryCode };
      return [await call(user.ip, 'POST', '/api/auth/mfa/verify', { mfaToken: challenge.mfaToken, ...code })];
    },
    apply(m, [answer], racing) {
      const u = userOf(m, key);
      const c = u.challenges[index]!;
      u.codeAttempts += 1;
      const live = !u.deleted && c.live && c.credVersion === u.credVersion && u.mfa !== undefined && u.mfa.secret === mfa?.secret;
      const spentByRacingTwin = racing && liveWhenPlanned && !live && !u.deleted && c.credVersion === u.credVersion && u.mfa?.secret === mfa?.secret;
      c.live = false;
      if (spentByRacingTwin) {
        // Two second steps of one challenge with one code at once (seed -1060298840, and counterexample (a)
        // of docs/model-checking.md): the loser may find the challenge spent ("expired") or, checked at the
        // same moment, the code just used ("Invalid code!", which may count as a failure). 401 either way.
        expectStatus(answer, 401, 'of two second steps of one challenge at once, one wins');
        const message = answer.json.message;
        expectThat(message === 'MFA session expired. Please sign in again.' || message === 'Invalid code!', `the race's loser answers ${message}`);
        if (message === 'Invalid code!') addEvent(u, 'mfa.failure', [0, 1]);
        return;
      }
      if (!live) {
        expectStatus(
          answer,
          401,
          u.deleted
            ? 'a deleted user has nothing left: an MFA challenge'
            : 'no session opened before a credentials change survives it: an MFA challenge from before it',
        );
        expectThat(answer.json.message === 'MFA session expired. Please sign in again.', `a dead MFA challenge answers "expired", not ${answer.json.message}`);
        return;
      }
      const spent = used!;
      // A recovery code of a set renewed since the step was planned (in a race, the renewal came first).
      if ('recoveryCode' in spent && !u.mfa!.recoveryCodes.includes(spent.recoveryCode)) {
        expectStatus(answer, 401, 'a recovery code of a renewed set is refused');
        expectThat(answer.json.message === 'Invalid code!', `an old recovery code answers "Invalid code!", not ${answer.json.message}`);
        // Counted against the challenge (one of its five): no test sequence makes five on one.
        c.live = true;
        addEvent(u, 'mfa.failure');
        return;
      }
      expectStatus(answer, 200, 'the second step of a live MFA challenge succeeds');
      u.codeAttempts = 0;
      if ('step' in spent) u.mfa!.lastStep = spent.step;
      else u.mfa!.recoveryCodes = u.mfa!.recoveryCodes.filter((code) => code !== spent.recoveryCode);
      openSession(m, u, answer, 'step' in spent ? ['pwd', 'otp', 'mfa'] : ['pwd', 'mfa']);
    },
  };
};

/**
 * A refresh with the session's current token, or (`flag`) with one of the last REMEMBERED_TOKENS it
 * exchanged: reuse. (An older one is refused as unknown without ending the session: docs/design.md, "Refresh in
 * one write"; tests/integration/auth.test.ts covers that edge.)
 */
export const refresh: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const session = user && pick(sessionsOf(model, user.key), spec.s);
  if (!user || !session) return undefined;
  const recent = session.rotated.slice(-REMEMBERED_TOKENS);
  const stale = spec.flag && recent.length > 0;
  const token = stale ? recent[spec.t % recent.length]! : session.refreshToken;
  return {
    label: `refresh(u${spec.u}.s${spec.s}${stale ? ', rotated token' : ''})`,
    users: [user.key],
    racy: true,
    send: async () => [await call(user.ip, 'POST', '/api/auth/refreshtoken', { refreshToken: token })],
    apply: (m, [answer], racing) => applyRefresh(m, session.key, token, answer, racing),
  };
};

/** The model's answer to one refresh, shared by the refresh operation, the race of refreshes and the probes. */
export function applyRefresh(m: Model, sessionKey: string, token: string, answer: ApiResponse | undefined, racing: boolean): void {
  const s = sessionOf(m, sessionKey);
  const u = userOf(m, s.userKey);
  if (u.deleted) {
    expectStatus(answer, 403, 'a deleted user has nothing left: a refresh token');
    return;
  }
  if (s.rotated.includes(token)) {
    expectStatus(answer, 403, 'at most one winner among concurrent refreshes of one token, and reuse ends the session: a rotated token');
    // A loser of a race may find the session already revoked by another loser: no event then.
    addEvent(u, 'refresh.reuse', racing ? [0, 1] : [1, 1]);
    s.revoked = true;
    return;
  }
  if (!isAlive(m, s)) {
    expectStatus(answer, 403, `${deadBecause(m, s)}: refresh of dead session ${s.key}`);
    return;
  }
  expectStatus(answer, 200, `refresh works iff the model says its session is alive: live session ${s.key}`);
  const accessToken = answer.json.accessToken as string;
  const roles = claimsOf(accessToken).roles;
  expectThat(
    JSON.stringify(sorted(roles)) === JSON.stringify(sorted(u.roles)),
    `a role change shows in the next token: refresh gave ${roles}, the model has ${u.roles}`,
  );
  s.rotated.push(token);
  s.refreshToken = answer.json.refreshToken as string;
  s.accessTokens.push(accessToken);
}

/** 2 or 3 refreshes of one token at once: one winner at most, and the losers' reuse ends the session, the winner's chain included. */
export const refreshRace: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const session = user && pick(sessionsOf(model, user.key), spec.s);
  if (!user || !session) return undefined;
  const count = spec.flag ? 3 : 2;
  const token = session.refreshToken;
  return {
    label: `refreshRace(u${spec.u}.s${spec.s}, ×${count})`,
    users: [user.key],
    racy: false,
    send: () => Promise.all(Array.from({ length: count }, () => call(user.ip, 'POST', '/api/auth/refreshtoken', { refreshToken: token }))),
    apply(m, answers) {
      const s = sessionOf(m, session.key);
      const u = userOf(m, s.userKey);
      const winners = answers.filter((a) => a.status === 200);
      const message = 'at most one winner among concurrent refreshes of one token, and reuse ends the session';
      expectThat(
        answers.every((a) => a.status === 200 || a.status === 403),
        `${message}: statuses ${answers.map((a) => a.status)}`,
      );
      if (!isAlive(m, s)) {
        expectThat(winners.length === 0, `${deadBecause(m, s)}: ${winners.length} refreshes of dead session ${s.key} won`);
        return;
      }
      expectThat(winners.length === 1, `${message}: ${winners.length} winners of ${count}`);
      applyRefresh(m, s.key, token, winners[0], false);
      addEvent(u, 'refresh.reuse', [1, count - 1]);
      s.revoked = true;
    },
  };
};

/** Sign-out by refresh token (`t` 0), of every session with the access token (1), or of the cookie's session (2). */
export const signOut: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  if (!user) return undefined;
  const mode = (['refresh', 'all', 'cookie'] as const)[spec.t % 3]!;
  const session = mode === 'refresh' ? pick(sessionsOf(model, user.key), spec.s) : liveSession(model, user, spec.s);
  if (!session) return undefined;
  const key = session.key;
  return {
    label: `signOut(u${spec.u}.s${spec.s}, ${mode})`,
    users: [user.key],
    racy: true,
    send: async () => [
      mode === 'refresh'
        ? await call(user.ip, 'POST', '/api/auth/signout', { refreshToken: session.refreshToken })
        : mode === 'all'
          ? await call(user.ip, 'POST', '/api/auth/signout', { all: true }, { token: latestAccess(session) })
          : await call(user.ip, 'POST', '/api/auth/signout', {}, { cookie: session.cookie }),
    ],
    apply(m, [answer], racing) {
      const s = sessionOf(m, key);
      const u = userOf(m, s.userKey);
      if (mode === 'refresh' && u.deleted) return expectStatus(answer, 403, 'a deleted user has nothing left: sign-out with a refresh token');
      if (mode !== 'refresh' && refusedForStaleAuth(m, s, answer, racing)) return;
      expectStatus(answer, 200, `sign-out (${mode}) succeeds`);
      for (const ended of mode === 'all' ? sessionsOf(m, u.key) : [s]) ended.revoked = true;
      addEvent(u, 'signout');
    },
  };
};

/** DELETE /api/auth/sessions/{id} with a live session's token, of any session of the user (itself included). */
export const revokeSession: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const via = user && liveSession(model, user, spec.s);
  const target = user && pick(sessionsOf(model, user.key), spec.t);
  if (!user || !via || !target) return undefined;
  return {
    label: `revokeSession(u${spec.u}: live ${spec.s} revokes ${spec.t})`,
    users: [user.key],
    racy: true,
    send: async () => [await call(user.ip, 'DELETE', `/api/auth/sessions/${target.sid}`, undefined, { token: latestAccess(via) })],
    apply(m, [answer], racing) {
      const s = sessionOf(m, target.key);
      if (refusedForStaleAuth(m, sessionOf(m, via.key), answer, racing)) return;
      if (s.revoked) return expectStatus(answer, 404, 'revoking a revoked session finds nothing');
      expectStatus(answer, 200, 'revoking a session that was not revoked succeeds');
      s.revoked = true;
      addEvent(userOf(m, s.userKey), 'session.revoke');
    },
  };
};

export type { Plan };
