import { admin, api, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';

// The bezkoder tutorial's own request sequence, over HTTP, with its messages.
describe('tutorial flow', () => {
  let adminToken: string;

  beforeAll(async () => {
    const response = await signIn(admin().username, admin().password);
    expect(response.status).toBe(200);
    adminToken = response.json.accessToken as string;
  });

  it('signs up a user, a moderator (by an admin) and serves each content route by role', async () => {
    const user = newUser('user');
    const mod = newUser('mod');
    expect(await signUp(user)).toMatchObject({ status: 200, json: { message: 'User was registered successfully!' } });
    expect(await signUp({ ...mod, roles: ['moderator', 'user'] }, { 'x-access-token': adminToken })).toMatchObject({
      status: 200,
      json: { message: 'User was registered successfully!' },
    });

    const userLogin = await signIn(user.username, user.password);
    expect(userLogin.status).toBe(200);
    expect(userLogin.json).toMatchObject({ username: user.username, email: user.email, roles: ['ROLE_USER'], tokenType: 'Bearer', expiresIn: 900 });
    expect(typeof userLogin.json.id).toBe('string');
    expect(typeof userLogin.json.refreshToken).toBe('string');
    const modLogin = await signIn(mod.username, mod.password);
    expect(modLogin.json.roles).toEqual(['ROLE_USER', 'ROLE_MODERATOR']);
    const adminLogin = await signIn(admin().username, admin().password);
    expect(adminLogin.json.roles).toEqual(['ROLE_USER', 'ROLE_MODERATOR', 'ROLE_ADMIN']);

    const userToken = userLogin.json.accessToken as string;
    const modToken = modLogin.json.accessToken as string;

    expect(await api('GET', '/api/test/all')).toMatchObject({ status: 200, text: 'Public Content.' });
    expect(await api('GET', '/api/test/user', { token: userToken })).toMatchObject({ status: 200, text: 'User Content.' });
    expect(await api('GET', '/api/test/mod', { token: userToken })).toMatchObject({ status: 403, json: { message: 'Require Moderator Role!' } });
    expect(await api('GET', '/api/test/mod', { token: modToken })).toMatchObject({ status: 200, text: 'Moderator Content.' });
    expect(await api('GET', '/api/test/admin', { token: modToken })).toMatchObject({ status: 403, json: { message: 'Require Admin Role!' } });
    expect(await api('GET', '/api/test/admin', { token: adminToken })).toMatchObject({ status: 200, text: 'Admin Content.' });
  });

  it('answers the tutorial failure messages', async () => {
    const taken = newUser();
    await signUp(taken);
    expect(await signUp({ ...newUser(), username: taken.username })).toMatchObject({ status: 400, json: { message: 'Failed! Username is already in use!' } });
    expect(await signUp({ ...newUser(), email: taken.email.toUpperCase() })).toMatchObject({
      status: 400,
      json: { message: 'Failed! Email is already in use!' },
    });
    expect(await signUp({ ...newUser(), roles: ['user', 'superhero'] })).toMatchObject({
      status: 400,
      json: { message: 'Failed! Role does not exist = superhero' },
    });
  });

  it('does not let public sign-up grant itself a role', async () => {
    const wannabe = newUser();
    expect(await signUp({ ...wannabe, roles: ['admin'] })).toMatchObject({ status: 403, json: { message: 'Require Admin Role!' } });
    const plain = newUser();
    await signUp(plain);
    const plainToken = (await signIn(plain.username, plain.password)).json.accessToken as string;
    expect(await signUp({ ...wannabe, roles: ['moderator'] }, { authorization: `Bearer ${plainToken}` })).toMatchObject({ status: 403 });
    // Nothing was stored by the refused attempts: the name is still free.
    expect(await signUp(wannabe)).toMatchObject({ status: 200 });
  });

  it('signs in case-insensitively and refuses unknown user and wrong password with one identical answer', async () => {
    const user = newUser();
    await signUp(user);
    expect((await signIn(user.username.toUpperCase(), user.password)).status).toBe(200);
    const wrong = await signIn(user.username, 'wrong password!');
    const unknown = await signIn(newUser().username, user.password);
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ accessToken: null, message: 'Invalid username or password!' });
    expect(unknown.text).toBe(wrong.text);
    expect(unknown.status).toBe(wrong.status);
  });

  it('refreshes with rotation on both spellings of the path, and revokes the session on reuse', async () => {
    const user = newUser();
    await signUp(user);
    const first = (await signIn(user.username, user.password)).json.refreshToken as string;
    const second = await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: first } });
    expect(second.status).toBe(200);
    expect(Object.keys(second.json).sort()).toEqual(['accessToken', 'refreshToken']);
    expect(second.headers.get('cache-control')).toBe('no-store');
    const third = await api('POST', '/api/auth/refreshToken', { body: { refreshToken: second.json.refreshToken } });
    expect(third.status).toBe(200);
    expect(await api('GET', '/api/test/user', { token: third.json.accessToken as string })).toMatchObject({ status: 200 });

    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: first } })).toMatchObject({ status: 403 });
    // Reuse ended the session: the newest token's holder is told so (the tutorial's 403).
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: third.json.refreshToken } })).toMatchObject({
      status: 403,
      json: { message: 'Session ended. Please sign in again.' },
    });
    expect(await api('POST', '/api/auth/refreshtoken', { body: {} })).toMatchObject({ status: 403, json: { message: 'Refresh Token is required!' } });
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: 'made-up' } })).toMatchObject({
      status: 403,
      json: { message: 'Refresh token is not in database!' },
    });
  });

  it('serves the profile at /api/auth/me', async () => {
    const user = newUser();
    await signUp(user);
    const login = await signIn(user.username, user.password);
    const me = await api('GET', '/api/auth/me', { headers: { authorization: `Bearer ${login.json.accessToken as string}` } });
    expect(me).toMatchObject({ status: 200, json: { id: login.json.id, username: user.username, email: user.email, roles: ['ROLE_USER'] } });
  });
});
