import { Secret, TOTP } from 'otpauth';
import { admin, api, apiFrom, signIn, signUp, type ApiResponse } from '../support/api';
import { newUser } from '../support/data';

// Security events over HTTP: what happened to an account, newest first, for the user and for admins.
type Event = { type: string; at: string; ip: string | null; userAgent: string | null; actor?: string };

async function allEvents(path: string, token: string, limit = 2): Promise<Event[]> {
  const events: Event[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse = await api('GET', `${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    expect(page.status).toBe(200);
    expect((page.json.events as Event[]).length).toBeLessThanOrEqual(limit);
    events.push(...(page.json.events as Event[]));
    cursor = page.json.nextCursor as string | null;
  } while (cursor);
  return events;
}

describe('security events', () => {
  it('records what happened to an account, newest first, page by page, with ip and client, and nothing secret', async () => {
    const user = newUser('events');
    expect((await signUp(user)).status).toBe(200);
    expect((await apiFrom('127.0.0.50', 'POST', '/api/auth/signin', { username: user.username, password: 'wrong password' })).status).toBe(401);
    const first = await signIn(user.username, user.password);
    const second = await signIn(user.username, user.password);
    const token = second.json.accessToken as string;
    const sessions = (await api('GET', '/api/auth/sessions', { token })).json.sessions as { id: string; current: boolean }[];
    const other = sessions.find((s) => !s.current)!;
    expect((await api('DELETE', `/api/auth/sessions/${other.id}`, { token })).status).toBe(200);
    const refreshed = await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: second.json.refreshToken } });
    // The first refresh token again: reuse.
    expect((await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: second.json.refreshToken } })).status).toBe(403);
    const third = await signIn(user.username, user.password);
    expect((await api('POST', '/api/auth/signout', { body: { refreshToken: third.json.refreshToken } })).status).toBe(200);
    const fourth = await signIn(user.username, user.password);

    const events = await allEvents('/api/auth/events', fourth.json.accessToken as string);
    expect(events.map((e) => e.type)).toEqual([
      'signin.success',
      'signout',
      'signin.success',
      'refresh.reuse',
      'session.revoke',
      'signin.success',
      'signin.success',
      'signin.failure',
    ]);
    const times = events.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(events.at(-1)).toMatchObject({ ip: '127.0.0.50' });
    for (const event of events) expect(Object.keys(event).sort()).toEqual(['at', 'ip', 'type', 'userAgent']);
    const text = JSON.stringify(events);
    for (const secret of [user.password, 'wrong password', first.json.refreshToken, first.json.accessToken, refreshed.json.refreshToken]) {
      expect(text).not.toContain(secret as string);
    }
  });

  it('records password and role changes, and a locked sign-in, on the account', async () => {
    const user = newUser('changes');
    await signUp(user);
    const login = await signIn(user.username, user.password);
    const id = login.json.id as string;
    const adminToken = (await signIn(admin().username, admin().password)).json.accessToken as string;
    expect((await api('PUT', `/api/admin/users/${id}/roles`, { token: adminToken, body: { roles: ['user', 'moderator'] } })).status).toBe(200);
    const again = await signIn(user.username, user.password);
    expect(
      (
        await api('POST', '/api/auth/password', {
          token: again.json.accessToken as string,
          body: { currentPassword: user.password, newPassword: 'a new password here' },
        })
      ).status,
    ).toBe(200);
    for (let i = 0; i < 5; i++) await apiFrom('127.0.0.51', 'POST', '/api/auth/signin', { username: user.username, password: 'wrong password' });
    expect((await apiFrom('127.0.0.51', 'POST', '/api/auth/signin', { username: user.username, password: 'wrong password' })).status).toBe(429);

    const types = (await allEvents(`/api/admin/users/${id}/events`, adminToken, 100)).map((e) => e.type);
    // Newest first: the lock, the failures before it (the password change counted as an attempt too),
    // then the account's history.
    expect(types[0]).toBe('signin.locked');
    const history = types.findIndex((type) => type !== 'signin.locked' && type !== 'signin.failure');
    expect(types.slice(0, history)).toContain('signin.failure');
    expect(types.slice(history)).toEqual(['password.change', 'signin.success', 'roles.change', 'signin.success']);
  });

  it("records an admin's MFA reset and role change as the admin's acts: mfa.reset with actor and the admin's ip, not the user's mfa.disable", async () => {
    const user = newUser('acted');
    await signUp(user);
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    const id = (await api('GET', '/api/auth/me', { token })).json.id as string;
    const secret = (await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } })).json.secret as string;
    const code = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate();
    expect((await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code } })).status).toBe(200);
    const signedIn = await signIn(admin().username, admin().password);
    const adminToken = signedIn.json.accessToken as string;
    const adminId = signedIn.json.id as string;
    // From an address of the admin's own, so the event's ip shows who acted.
    expect((await apiFrom('127.0.0.53', 'DELETE', `/api/admin/users/${id}/mfa`, undefined, { 'x-access-token': adminToken })).status).toBe(200);
    expect(
      (await apiFrom('127.0.0.53', 'PUT', `/api/admin/users/${id}/roles`, { roles: ['user', 'moderator'] }, { 'x-access-token': adminToken })).status,
    ).toBe(200);

    const events = await allEvents(`/api/admin/users/${id}/events`, adminToken, 100);
    expect(events.map((e) => e.type)).toEqual(['roles.change', 'mfa.reset', 'mfa.enable', 'signin.success']);
    expect(events[0]).toMatchObject({ type: 'roles.change', actor: adminId, ip: '127.0.0.53' });
    expect(events[1]).toMatchObject({ type: 'mfa.reset', actor: adminId, ip: '127.0.0.53' });
    // The user's own acts carry no actor.
    for (const event of events.slice(2)) expect(event.actor).toBeUndefined();
    // The user sees the same, with the admin named.
    const own = (await signIn(user.username, user.password)).json.accessToken as string;
    expect((await allEvents('/api/auth/events', own, 100)).find((e) => e.type === 'mfa.reset')).toMatchObject({ actor: adminId });
  });

  it("are the caller's own, and an admin's to read for others; a forged or foreign cursor is 400", async () => {
    const user = newUser('own');
    await signUp(user);
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    const id = (await api('GET', '/api/auth/me', { token })).json.id as string;
    expect(await api('GET', `/api/admin/users/${id}/events`, { token })).toMatchObject({ status: 403 });
    const adminToken = (await signIn(admin().username, admin().password)).json.accessToken as string;
    expect(await api('GET', '/api/admin/users/00000000-0000-4000-8000-000000000000/events', { token: adminToken })).toMatchObject({ status: 404 });
    expect(await api('GET', '/api/auth/events')).toMatchObject({ status: 401 });
    expect(await api('GET', '/api/auth/events?cursor=forged', { token })).toMatchObject({ status: 400, json: { message: 'cursor is invalid' } });
    // A cursor of the admin's own list does not page through this user's.
    await signIn(admin().username, admin().password);
    const adminPage = await api('GET', '/api/auth/events?limit=1', { token: adminToken });
    const foreign = adminPage.json.nextCursor as string;
    expect(foreign).toEqual(expect.any(String));
    expect(await api('GET', `/api/auth/events?cursor=${encodeURIComponent(foreign)}`, { token })).toMatchObject({ status: 400 });
  });
});
