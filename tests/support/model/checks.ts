import { apiFrom, ONE_REQUEST_MS, revocationDeadlineMs } from '../api';
import { call, totpCode, usableStep } from './http';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { credentialHash } from '../../../lib/store/passkeys';
import { itemKeys } from '../../../lib/store/item-keys';
import { signInWithPasskey } from './passkey-ops';
import { type Context, latestAccess, liveSession } from './plan';
import { applyRefresh } from './session-ops';
import { expectThat, isAlive, LOCKOUT_THRESHOLD, type Model, type ModelSession, type ModelUser, Mismatch, userOf } from './state';

const ADMIN_IP = '127.0.0.1';

/**
 * Every page of a listing (a search page may hold fewer than `limit`). A page is asked again after a
 * 503 (twice at most): these reads are the model's checks, not operations of a sequence, and the search
 * queries all 64 name shards, which a loaded 2-core machine can take past the 2 s request deadline.
 * An operation's 5xx still fails the run (http.ts call).
 */
async function allPages<T>(path: string, field: string, token: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const url = `${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    let page = await apiFrom(ADMIN_IP, 'GET', url, undefined, { 'x-access-token': token });
    for (let again = 0; again < 2 && page.status === 503; again++) page = await apiFrom(ADMIN_IP, 'GET', url, undefined, { 'x-access-token': token });
    if (page.status !== 200) return Promise.reject(new Mismatch(`${path} answered ${page.status}`));
    items.push(...(page.json[field] as T[]));
    cursor = (page.json.nextCursor as string | null | undefined) ?? undefined;
  } while (cursor);
  return items;
}

const AGREE = "counts in the admin list and the user's events agree with the model";

/** The admin list of this sequence's users (they share the prefix) is the model's: names, roles, MFA. */
export async function checkAdminList(model: Model, context: Context): Promise<void> {
  const listed = await allPages<{ username: string; roles: string[]; mfaEnabled: boolean }>(
    `/api/admin/users?search=${model.prefix}`,
    'users',
    await context.adminToken(),
  );
  const seen = listed.map((u) => `${u.username}:${[...u.roles].sort()}:${u.mfaEnabled}`).sort();
  const expected = model.users
    .filter((u) => !u.deleted)
    .map((u) => `${u.username}:${[...u.roles].sort()}:${u.mfa !== undefined}`)
    .sort();
  expectThat(JSON.stringify(seen) === JSON.stringify(expected), `${AGREE}: the list has [${seen}], the model [${expected}]`);
}

/** The user's events, counted by type, are within what the model allows; a deleted user's are not readable. */
export async function checkEvents(model: Model, context: Context, userKey: string): Promise<void> {
  const user = userOf(model, userKey);
  const token = await context.adminToken();
  if (user.deleted) {
    const answer = await call(ADMIN_IP, 'GET', `/api/admin/users/${user.id}/events`, undefined, { token });
    expectThat(answer.status === 404, `a deleted user has nothing left: their events answered ${answer.status}`);
    return;
  }
  const events = await allPages<{ type: string }>(`/api/admin/users/${user.id}/events`, 'events', token);
  const counts: Record<string, number> = {};
  for (const { type } of events) counts[type] = (counts[type] ?? 0) + 1;
  for (const type of new Set([...Object.keys(counts), ...Object.keys(user.events)])) {
    const [min, max] = user.events[type] ?? [0, 0];
    const count = counts[type] ?? 0;
    expectThat(count >= min && count <= max, `${AGREE}: ${user.key} has ${count} ${type} event(s), the model ${min === max ? min : `${min} to ${max}`}`);
  }
}

/**
 * A session that died in this step: its current refresh token must be refused at once. Safe to send:
 * an unexchanged token of a dead session is refused without any write.
 */
export async function probeDead(model: Model, sessionKey: string): Promise<void> {
  const session = model.sessions.find((s) => s.key === sessionKey)!;
  const user = userOf(model, session.userKey);
  const answer = await call(user.ip, 'POST', '/api/auth/refreshtoken', { refreshToken: session.refreshToken });
  applyRefresh(model, sessionKey, session.refreshToken, answer, false);
}

/**
 * A session that died in this step by the credentials version alone (MFA on or off from another
 * session: nothing revoked it, its user is there) has its access tokens and cookie tried now, not only
 * in the sweep; true when it was such a session. Only the authorizer's version check refuses them (the
 * refresh probe is refused by the refresh write's own condition), and a later step that revokes every
 * session (a password change revokes the dead ones too) would leave the sweep seeing the revocation
 * instead. A revocation or a deletion never turns back: the sweep still sees those.
 */
export async function probeDeadAccess(model: Model, sessionKey: string): Promise<boolean> {
  const session = model.sessions.find((s) => s.key === sessionKey)!;
  if (session.revoked || userOf(model, session.userKey).deleted) return false;
  await accessRefused(model, session);
  return true;
}

/** Every access token and the cookie of a dead session are refused within the revocation bound, counted from the step that ended it. */
async function accessRefused(model: Model, session: ModelSession): Promise<void> {
  const user = userOf(model, session.userKey);
  for (const credential of [...session.accessTokens.map((token) => ({ token })), { cookie: session.cookie }]) {
    await refusedBy(() => call(user.ip, 'GET', '/api/auth/me', undefined, credential), (session.diedAt ?? Date.now()) + revocationDeadlineMs(), session.key);
  }
}

/**
 * After the last step, everything the model knows is tried once more: every session's refresh token
 * works iff it is alive; the access tokens (and cookie) of a live session work, and those of a dead
 * one are refused within the revocation bound, counted from the step that ended it (the bound is not
 * waited after every step: that would take 2 s a step); a rotated token is refused and ends its
 * session; a user's passkeys are the model's; a deleted user can no longer sign in (with the password
 * or a passkey), their passkeys are gone, and their name and email are free again.
 */
export async function sweep(model: Model, context: Context): Promise<void> {
  for (const session of model.sessions) {
    const user = userOf(model, session.userKey);
    const alive = isAlive(model, session);
    applyRefresh(
      model,
      session.key,
      session.refreshToken,
      await call(user.ip, 'POST', '/api/auth/refreshtoken', { refreshToken: session.refreshToken }),
      false,
    );
    if (alive) {
      const me = await call(user.ip, 'GET', '/api/auth/me', undefined, { token: latestAccess(session) });
      expectThat(me.status === 200 && me.json.username === user.username, `an access token of a live session works: ${session.key} got ${me.status}`);
    } else {
      await accessRefused(model, session);
    }
  }
  for (const session of model.sessions.filter((s) => s.rotated.length > 0)) {
    const user = userOf(model, session.userKey);
    const token = session.rotated.at(-1)!;
    applyRefresh(model, session.key, token, await call(user.ip, 'POST', '/api/auth/refreshtoken', { refreshToken: token }), false);
  }
  for (const user of model.users) {
    // A challenge the model holds dead is refused as expired, whatever the code.
    for (const challenge of user.challenges.filter((c) => !c.live && !user.deleted)) {
      if (user.codeAttempts + 1 > 10) break;
      const step = user.mfa && usableStep(user.mfa.lastStep);
      const code = user.mfa && step !== undefined ? totpCode(user.mfa.secret, step) : '000000';
      const answer = await call(user.ip, 'POST', '/api/auth/mfa/verify', { mfaToken: challenge.mfaToken, code });
      user.codeAttempts += 1;
      expectThat(
        answer.status === 401,
        `no session opened before a credentials change survives it: a dead MFA challenge of ${user.key} answered ${answer.status}`,
      );
    }
    if (!user.deleted) {
      await passkeysListed(model, user);
      continue;
    }
    await passkeysGone(user, context);
    // Past the name's lockout the service refuses any sign-in with 429 (a deleted name as any unknown one),
    // which proves nothing here; the sign-up below still does.
    if (user.attempts + 1 <= LOCKOUT_THRESHOLD) {
      const signIn = await call(user.ip, 'POST', '/api/auth/signin', { username: user.username, password: user.password });
      user.attempts += 1;
      expectThat(signIn.status === 401, `a deleted user has nothing left: sign-in answered ${signIn.status}`);
    }
    const again = await call(user.ip, 'POST', '/api/auth/signup', { username: user.username, email: user.email, password: user.password });
    expectThat(again.status === 200, `a deleted user has nothing left: their name and email are claimed still (${again.status} ${again.json.message})`);
  }
}

/** The passkeys a live session of the user lists are those the model registered. */
async function passkeysListed(model: Model, user: ModelUser): Promise<void> {
  const via = liveSession(model, user, 0);
  if (!via) return;
  const answer = await call(user.ip, 'GET', '/api/auth/passkeys', undefined, { token: latestAccess(via) });
  const listed = answer.status === 200 ? (answer.json.passkeys as { id: string }[]).map((p) => p.id).sort() : [];
  expectThat(
    answer.status === 200 && JSON.stringify(listed) === JSON.stringify([...user.passkeys].sort()),
    `${AGREE}: ${user.key} lists passkeys [${listed}] (${answer.status}), the model [${user.passkeys}]`,
  );
}

/** A deleted user's passkeys sign no one in, and neither the passkey items nor the claims on their credential ids are left. */
async function passkeysGone(user: ModelUser, context: Context): Promise<void> {
  for (const id of user.passkeys) {
    const [, verify] = await signInWithPasskey(user.ip, id);
    expectThat(verify?.status === 401, `a deleted user has nothing left: a passkey sign-in answered ${verify?.status}`);
    const hash = credentialHash(id);
    for (const [what, Key] of [
      ['passkey', itemKeys.passkey(user.id, hash)],
      ['claim on the credential id', itemKeys.passkeyClaim(hash)],
    ] as const) {
      const { Item } = await context.table.client.send(new GetCommand({ TableName: context.table.name, Key, ConsistentRead: true }));
      expectThat(Item === undefined, `a deleted user has nothing left: ${user.key}'s ${what} is still stored`);
    }
  }
}

/** Polls until the token is refused; past `deadline` (the revocation bound and one request's time after it died), fails. */
async function refusedBy(request: () => Promise<{ status: number }>, deadline: number, sessionKey: string): Promise<void> {
  for (;;) {
    const status = (await request()).status;
    if (status === 401) return;
    if (Date.now() > deadline) {
      throw new Mismatch(`an access token is refused within the revocation bound once its session is dead: ${sessionKey} still answers ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, ONE_REQUEST_MS)));
  }
}
