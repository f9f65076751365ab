import { admin, api, signIn, signUp, refusedWithinRevocationBound as refusedWithinBound } from '../support/api';
import { newUser } from '../support/data';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from '../../lib/store/item-keys';
import { createTable } from '../../lib/store/table';

// Account lifecycle over HTTP. "Within the bound" = the authorizer cache lifetime configured for the
// run (AUTHORIZER_CACHE_TTL=2 s), plus one request's time (support/api.ts).
const refresh = (refreshToken: string) => api('POST', '/api/auth/refreshtoken', { body: { refreshToken } });
// A refresh token of a session that ended: its holder is told so; a token never issued is not in database.
const ended = { status: 403, json: { message: 'Session ended. Please sign in again.' } };
const unknown = { status: 403, json: { message: 'Refresh token is not in database!' } };
const userContent = (token: string) => api('GET', '/api/test/user', { token });

async function registeredAndSignedIn() {
  const user = newUser();
  await signUp(user);
  const login = await signIn(user.username, user.password);
  expect(login.status).toBe(200);
  return { user, id: login.json.id as string, accessToken: login.json.accessToken as string, refreshToken: login.json.refreshToken as string };
}

const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

let adminToken: string;
beforeAll(async () => {
  adminToken = (await signIn(admin().username, admin().password)).json.accessToken as string;
});

describe('sign-out', () => {
  it('with a refresh token ends that session: its refresh token and (within the bound) its access token', async () => {
    const session = await registeredAndSignedIn();
    expect(await userContent(session.accessToken)).toMatchObject({ status: 200 });
    expect(await api('POST', '/api/auth/signout', { body: { refreshToken: session.refreshToken } })).toMatchObject({
      status: 200,
      json: { message: "You've been signed out!" },
    });
    expect(await refresh(session.refreshToken)).toMatchObject(ended);
    // Signing out again is still a sign-out (idempotent).
    expect(await api('POST', '/api/auth/signout', { body: { refreshToken: session.refreshToken } })).toMatchObject({ status: 200 });
    await refusedWithinBound(() => userContent(session.accessToken));
  });

  it('with {all:true} and an access token ends every session of the user', async () => {
    const first = await registeredAndSignedIn();
    const second = (await signIn(first.user.username, first.user.password)).json;
    // Used (and its decision cached) just before the sign-out, so the bound is what gets tested.
    expect(await userContent(second.accessToken as string)).toMatchObject({ status: 200 });
    expect(await api('POST', '/api/auth/signout', { body: { all: true }, token: first.accessToken })).toMatchObject({ status: 200 });
    expect(await refresh(first.refreshToken)).toMatchObject(ended);
    expect(await refresh(second.refreshToken as string)).toMatchObject(ended);
    await refusedWithinBound(() => userContent(second.accessToken as string));
  });

  it('says so when nothing names a session, answers like refresh for an unknown token, and needs a token for all', async () => {
    // `{}` without a cookie (a non-browser caller): nothing to end, said plainly, 200 as the tutorial's sign-out.
    const nothing = await api('POST', '/api/auth/signout', { body: {} });
    expect(nothing).toMatchObject({ status: 200, json: { message: 'No session to sign out: send refreshToken, or all:true with an access token.' } });
    expect(nothing.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(await api('POST', '/api/auth/signout', { body: { refreshToken: 'nope' } })).toMatchObject({
      status: 403,
      json: { message: 'Refresh token is not in database!' },
    });
    expect(await api('POST', '/api/auth/signout', { body: { all: true } })).toMatchObject({ status: 401, json: { message: 'No token provided!' } });
  });
});

describe('refresh answers', () => {
  it("tell the holder of an ended session's token that it ended, and anyone else only that the token is not in database", async () => {
    const session = await registeredAndSignedIn();
    const [userId, sessionId] = session.refreshToken.split('.') as [string, string];
    // A made-up token naming the live session, and one of the right shape naming nothing.
    expect(await refresh(`${userId}.${sessionId}.0.made-up`)).toMatchObject(unknown);
    expect(await refresh(`${crypto.randomUUID()}.${crypto.randomUUID()}.0.made-up`)).toMatchObject(unknown);
    expect(await api('POST', '/api/auth/signout', { body: { refreshToken: session.refreshToken } })).toMatchObject({ status: 200 });
    expect(await refresh(session.refreshToken)).toMatchObject(ended);
    // No oracle: without the token's secret, the ended session looks like any unknown token.
    expect(await refresh(`${userId}.${sessionId}.0.made-up`)).toMatchObject(unknown);
  });

  it('name an access token sent as the refresh token, on refresh and sign-out alike', async () => {
    const session = await registeredAndSignedIn();
    const wrongToken = { status: 400, json: { message: 'refreshToken is an access token (a JWT): send the refreshToken from the sign-in or refresh answer' } };
    expect(await refresh(session.accessToken)).toMatchObject(wrongToken);
    expect(await api('POST', '/api/auth/signout', { body: { refreshToken: session.accessToken } })).toMatchObject(wrongToken);
    // Refused before anything changed: the session lives on.
    expect(await refresh(session.refreshToken)).toMatchObject({ status: 200 });
  });
});

describe('sessions', () => {
  it('lists each sign-in as its own session, marks the current one, and exposes no token', async () => {
    const first = await registeredAndSignedIn();
    await signIn(first.user.username, first.user.password);
    const response = await api('GET', '/api/auth/sessions', { token: first.accessToken });
    expect(response.status).toBe(200);
    const sessions = response.json.sessions as Record<string, unknown>[];
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);
    }
    expect(response.text).not.toContain(first.refreshToken);
  });

  it("revokes one session and leaves the other; another user's session id is a 404", async () => {
    const first = await registeredAndSignedIn();
    const second = (await signIn(first.user.username, first.user.password)).json;
    const sessions = (await api('GET', '/api/auth/sessions', { token: first.accessToken })).json.sessions as { id: string; current: boolean }[];
    const other = sessions.find((s) => !s.current)!;
    expect(await api('DELETE', `/api/auth/sessions/${other.id}`, { token: first.accessToken })).toMatchObject({ status: 200 });
    expect(await refresh(second.refreshToken as string)).toMatchObject(ended);
    expect((await refresh(first.refreshToken)).status).toBe(200);

    const stranger = await registeredAndSignedIn();
    const strangersSession = ((await api('GET', '/api/auth/sessions', { token: stranger.accessToken })).json.sessions as { id: string }[])[0]!;
    expect(await api('DELETE', `/api/auth/sessions/${strangersSession.id}`, { token: first.accessToken })).toMatchObject({
      status: 404,
      json: { message: 'Session not found.' },
    });
    expect(await api('DELETE', '/api/auth/sessions/no-such-session', { token: first.accessToken })).toMatchObject({ status: 404 });
    expect((await refresh(stranger.refreshToken)).status).toBe(200);
  });
});

describe('sessions a credentials change ended', () => {
  const listed = async (token: string) => {
    const response = await api('GET', '/api/auth/sessions', { token });
    expect(response.status).toBe(200);
    return (response.json.sessions as { id: string; current: boolean }[]).map(({ id, current }) => ({ id, current }));
  };
  const currentSessionOnly = async (token: string) => {
    const sessions = await listed(token);
    expect(sessions).toEqual([{ id: expect.any(String), current: true }]);
    return sessions[0]!.id;
  };

  it('after a password change, the list shows only the session signed in with the new password', async () => {
    const session = await registeredAndSignedIn();
    await signIn(session.user.username, session.user.password);
    expect(await listed(session.accessToken)).toHaveLength(2);
    const newPassword = 'another long password';
    expect(
      (await api('POST', '/api/auth/password', { body: { currentPassword: session.user.password, newPassword }, token: session.accessToken })).status,
    ).toBe(200);
    const after = await signIn(session.user.username, newPassword);
    expect(after.status).toBe(200);
    await currentSessionOnly(after.json.accessToken as string);
  });

  it('after a role change, the list shows only the new session', async () => {
    const session = await registeredAndSignedIn();
    await signIn(session.user.username, session.user.password);
    expect(await listed(session.accessToken)).toHaveLength(2);
    expect((await api('PUT', `/api/admin/users/${session.id}/roles`, { token: adminToken, body: { roles: ['user', 'moderator'] } })).status).toBe(200);
    const after = await signIn(session.user.username, session.user.password);
    expect(after.status).toBe(200);
    await currentSessionOnly(after.json.accessToken as string);
  });

  it('after a credentials change whose revocations never ran (the request died after the version bump), the list shows only the new session', async () => {
    const session = await registeredAndSignedIn();
    // What a password or role change commits first, and alone ends every session; the revocations that
    // follow it are left out here, as a request that timed out in between would leave them.
    await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.user(session.id),
        UpdateExpression: 'ADD credVersion :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    const after = await signIn(session.user.username, session.user.password);
    expect(after.status).toBe(200);
    await currentSessionOnly(after.json.accessToken as string);
  });
});

describe('password change', () => {
  it('checks the current password and the rules, then ends every session', async () => {
    const session = await registeredAndSignedIn();
    const change = (body: unknown) => api('POST', '/api/auth/password', { body, token: session.accessToken });
    expect(await change({ currentPassword: 'wrong password', newPassword: 'a new long password' })).toMatchObject({
      status: 401,
      json: { message: 'Current password is incorrect!' },
    });
    expect(await change({ currentPassword: session.user.password, newPassword: 'short' })).toMatchObject({
      status: 400,
      json: { message: 'newPassword must be at least 8 characters' },
    });
    expect(await change({ currentPassword: session.user.password, newPassword: 'a new long password' })).toMatchObject({ status: 200 });
    expect(await refresh(session.refreshToken)).toMatchObject(ended);
    expect((await signIn(session.user.username, session.user.password)).status).toBe(401);
    expect((await signIn(session.user.username, 'a new long password')).status).toBe(200);
    await refusedWithinBound(() => userContent(session.accessToken));
  });
});

describe('admin API', () => {
  it('is for admins only', async () => {
    const plain = await registeredAndSignedIn();
    for (const [method, path] of [
      ['GET', '/api/admin/users'],
      ['PUT', `/api/admin/users/${plain.id}/roles`],
      ['DELETE', `/api/admin/users/${plain.id}`],
      ['GET', `/api/admin/users/${plain.id}/sessions`],
    ] as const) {
      const response = await api(method, path, { token: plain.accessToken, ...(method === 'PUT' ? { body: { roles: ['admin'] } } : {}) });
      expect({ path, status: response.status, body: response.json }).toEqual({ path, status: 403, body: { message: 'Require Admin Role!' } });
    }
  });

  it('lists users page by page with a cursor, without password hashes', async () => {
    for (let i = 0; i < 3; i++) await signUp(newUser('listed'));
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await api('GET', `/api/admin/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: adminToken });
      expect(response.status).toBe(200);
      const users = response.json.users as Record<string, unknown>[];
      expect(users.length).toBeLessThanOrEqual(2);
      for (const user of users) {
        expect(Object.keys(user).sort()).toEqual(['createdAt', 'email', 'emailVerified', 'id', 'mfaEnabled', 'roles', 'username']);
        expect(seen.has(user.id as string)).toBe(false);
        seen.add(user.id as string);
      }
      cursor = response.json.nextCursor as string | null;
      pages++;
    } while (cursor && pages < 500);
    expect(seen.size).toBeGreaterThanOrEqual(4);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(await api('GET', '/api/admin/users?cursor=garbage', { token: adminToken })).toMatchObject({ status: 400, json: { message: 'cursor is invalid' } });
    expect(await api('GET', '/api/admin/users?limit=1000', { token: adminToken })).toMatchObject({ status: 400 });
  });

  it('searches users by the start of their username or email, case-insensitively', async () => {
    const user = newUser('findme');
    await signUp(user);
    const found = await api('GET', `/api/admin/users?search=${encodeURIComponent(user.username.toUpperCase())}`, { token: adminToken });
    expect(found.status).toBe(200);
    expect((found.json.users as { username: string }[]).map((listed) => listed.username)).toEqual([user.username]);
    const byEmail = await api('GET', `/api/admin/users?search=${encodeURIComponent(user.email.slice(0, -4))}`, { token: adminToken });
    expect((byEmail.json.users as { id: string }[]).map((listed) => listed.id)).toEqual([found.json.users && (found.json.users as { id: string }[])[0]!.id]);
    expect(await api('GET', '/api/admin/users?search=', { token: adminToken })).toMatchObject({
      status: 400,
      json: { message: 'search must be 1 to 254 characters' },
    });
  });

  it("changes roles, ending the user's sessions so the new roles apply; a demoted moderator loses /api/test/mod within the bound", async () => {
    const mod = newUser('mod');
    expect((await signUp({ ...mod, roles: ['user', 'moderator'] }, { 'x-access-token': adminToken })).status).toBe(200);
    const login = await signIn(mod.username, mod.password);
    const modToken = login.json.accessToken as string;
    expect(await api('GET', '/api/test/mod', { token: modToken })).toMatchObject({ status: 200 });

    expect(await api('PUT', `/api/admin/users/${login.json.id as string}/roles`, { body: { roles: ['user'] }, token: adminToken })).toMatchObject({
      status: 200,
      json: { id: login.json.id, roles: ['user'] },
    });
    await refusedWithinBound(() => api('GET', '/api/test/mod', { token: modToken }));
    expect(await refresh(login.json.refreshToken as string)).toMatchObject(ended);
    const again = await signIn(mod.username, mod.password);
    expect(again.json.roles).toEqual(['ROLE_USER']);
    expect(await api('GET', '/api/test/mod', { token: again.json.accessToken as string })).toMatchObject({
      status: 403,
      json: { message: 'Require Moderator Role!' },
    });

    expect(await api('PUT', `/api/admin/users/${login.json.id as string}/roles`, { body: { roles: ['wizard'] }, token: adminToken })).toMatchObject({
      status: 400,
      json: { message: 'Failed! Role does not exist = wizard' },
    });
    // Roles as sign-in answers show them are taken too (case as written); the answer keeps plain names.
    expect(
      await api('PUT', `/api/admin/users/${login.json.id as string}/roles`, { body: { roles: ['ROLE_USER', 'ROLE_MODERATOR'] }, token: adminToken }),
    ).toMatchObject({ status: 200, json: { id: login.json.id, roles: ['user', 'moderator'] } });
    expect((await signIn(mod.username, mod.password)).json.roles).toEqual(['ROLE_USER', 'ROLE_MODERATOR']);
    for (const wrongCase of ['ROLE_user', 'Moderator'])
      expect(await api('PUT', `/api/admin/users/${login.json.id as string}/roles`, { body: { roles: [wrongCase] }, token: adminToken })).toMatchObject({
        status: 400,
        json: { message: `Failed! Role does not exist = ${wrongCase}` },
      });
    expect(await api('PUT', '/api/admin/users/no-such-user/roles', { body: { roles: ['user'] }, token: adminToken })).toMatchObject({ status: 404 });
  });

  it("lists a user's live sessions as the user's own list does, without current; 404 for an unknown user", async () => {
    const first = await registeredAndSignedIn();
    await signIn(first.user.username, first.user.password);
    const own = (await api('GET', '/api/auth/sessions', { token: first.accessToken })).json.sessions as { id: string; current: boolean }[];
    const response = await api('GET', `/api/admin/users/${first.id}/sessions`, { token: adminToken });
    expect(response.status).toBe(200);
    const sessions = response.json.sessions as Record<string, unknown>[];
    expect(sessions.map((session) => session.id)).toEqual(own.map((session) => session.id));
    for (const session of sessions) expect(Object.keys(session).sort()).toEqual(['createdAt', 'id', 'ip', 'lastUsedAt', 'userAgent']);
    expect(response.text).not.toContain(first.refreshToken);
    // Signed out: no longer listed.
    expect(await api('POST', '/api/auth/signout', { body: { refreshToken: first.refreshToken } })).toMatchObject({ status: 200 });
    expect(((await api('GET', `/api/admin/users/${first.id}/sessions`, { token: adminToken })).json.sessions as { id: string }[]).length).toBe(1);
    for (const unknown of ['00000000-0000-4000-8000-000000000000', 'no-such-user'])
      expect(await api('GET', `/api/admin/users/${unknown}/sessions`, { token: adminToken })).toMatchObject({
        status: 404,
        json: { message: 'User not found.' },
      });
  });

  it('deletes a user: sign-in fails, tokens die, and the name can be registered again', async () => {
    const session = await registeredAndSignedIn();
    expect(await userContent(session.accessToken)).toMatchObject({ status: 200 });
    expect(await api('DELETE', `/api/admin/users/${session.id}`, { token: adminToken })).toMatchObject({ status: 200 });
    expect((await signIn(session.user.username, session.user.password)).status).toBe(401);
    expect((await refresh(session.refreshToken)).status).toBe(403);
    await refusedWithinBound(() => userContent(session.accessToken));
    expect(await signUp(session.user)).toMatchObject({ status: 200 });
    expect(await api('DELETE', `/api/admin/users/${session.id}`, { token: adminToken })).toMatchObject({ status: 404 });
  });
});
