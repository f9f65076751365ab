import { admin, api, apiFrom, revocationDeadlineMs, signIn, signUp, type ApiResponse } from '../support/api';
import { newUser } from '../support/data';

// Concurrency attacks over HTTP: the database's conditions, not timing luck, must decide.
// Parallel failed sign-ins against the lock counter: tests/e2e/lockout.test.ts (exactly 5 of 20 checked).
describe('races', () => {
  // Ten, not twenty: DynamoDB Local answers one request at a time, and since sign-up counts its source IP and
  // its mail (issue 21) twenty sign-ups queue ~80 requests on it, past the SDK's 1 s timeout on a 2-core
  // machine (two 503s in one CI run). On DynamoDB the writes run in parallel; the race is the same at ten.
  it('10 parallel identical sign-ups make exactly one account, and it works', async () => {
    const user = newUser();
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => signUp(user)))).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, ...Array(9).fill(400)]);
    expect((await signIn(user.username, user.password)).status).toBe(200);
  });

  it('one name with different emails, and one email with different names: one winner each, no orphan claim', async () => {
    const name = newUser().username;
    const byName = await Promise.all(
      Array.from({ length: 10 }, (_, i) => signUp({ username: name, email: `${name}.${i}@example.com`, password: 'correct horse battery' })),
    );
    expect(byName.filter((r) => r.status === 200)).toHaveLength(1);
    // The losers' emails were not left claimed: each can register under a fresh name.
    const loserEmails = byName.map((r, i) => ({ r, email: `${name}.${i}@example.com` })).filter(({ r }) => r.status !== 200);
    for (const { email } of loserEmails.slice(0, 3)) expect((await signUp({ ...newUser(), email })).status).toBe(200);

    const email = `${newUser().username}@example.com`;
    const byEmail = await Promise.all(Array.from({ length: 10 }, () => signUp({ ...newUser(), email })));
    expect(byEmail.filter((r) => r.status === 200)).toHaveLength(1);
    expect(byEmail.filter((r) => r.status !== 200).map((r) => r.json.message)).toEqual(Array(9).fill('Failed! Email is already in use!'));
  });

  it('20 parallel refreshes of one token: exactly one winner, and no two live chains', async () => {
    const user = newUser();
    await signUp(user);
    const refreshToken = (await signIn(user.username, user.password)).json.refreshToken as string;
    const responses = await Promise.all(Array.from({ length: 20 }, () => api('POST', '/api/auth/refreshtoken', { body: { refreshToken } })));
    // One conditional write marks the token used: one request wins it, the 19 others are reuse (403).
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(403)]);
    const [winner] = responses.filter((r) => r.status === 200);
    // The race was reuse: the whole family is dead, the winner's new token included, so no chain lives on.
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: winner!.json.refreshToken } })).toMatchObject({
      status: 403,
      json: { message: 'Session ended. Please sign in again.' },
    });
  });
});

// A password or role change racing sign-ins: a sign-in that checked the old credentials may finish at
// any point around the change. Whatever the interleaving, no session from before or during the change
// may outlive it (lib/store/users.ts changeCredentials: the credentials version).
describe('credential changes racing sign-ins', () => {
  const ROUNDS = 8;
  // 4 sign-ins + the change itself stay within the per-username lockout threshold (5 per window).
  const SIGN_INS = 4;
  const bound = () => revocationDeadlineMs();

  /**
   * Sign-ins started across the change's whole run (it checks and hashes a password: two bcrypt
   * operations), so that some check the old credentials before it writes and open their session after.
   */
  function staggered(count: number, round: number, signIn: () => Promise<ApiResponse>): Promise<ApiResponse>[] {
    return Array.from({ length: count }, (_, i) => new Promise<void>((resolve) => setTimeout(resolve, 5 + ((i * 17 + round * 7) % 70))).then(signIn));
  }

  async function tokensOf(responses: ApiResponse[]) {
    return responses.filter((r) => r.status === 200).map((r) => ({ access: r.json.accessToken as string, refresh: r.json.refreshToken as string }));
  }

  async function survivors(tokens: { access: string; refresh: string }[]) {
    await new Promise((resolve) => setTimeout(resolve, bound()));
    const alive: string[] = [];
    for (const { access, refresh } of tokens) {
      if ((await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: refresh } })).status === 200) alive.push('refresh');
      if ((await api('GET', '/api/auth/me', { token: access })).status === 200) alive.push('access');
    }
    return alive;
  }

  it('a password change leaves zero live sessions from sign-ins with the old password', async () => {
    const raced: ApiResponse[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const from = `127.0.0.${60 + round}`;
      const user = newUser('pwrace');
      expect((await signUp(user)).status).toBe(200);
      const first = await apiFrom(from, 'POST', '/api/auth/signin', { username: user.username, password: user.password });
      const token = first.json.accessToken as string;
      const answers = await Promise.all([
        ...staggered(SIGN_INS - 1, round, () => apiFrom(from, 'POST', '/api/auth/signin', { username: user.username, password: user.password })),
        apiFrom(from, 'POST', '/api/auth/password', { currentPassword: user.password, newPassword: 'a brand new password' }, { 'x-access-token': token }),
      ]);
      expect(answers.at(-1)!.status).toBe(200);
      raced.push(first, ...answers.slice(0, -1));
    }
    const tokens = await tokensOf(raced);
    expect(tokens.length).toBeGreaterThan(ROUNDS);
    expect(await survivors(tokens)).toEqual([]);
  });

  it('demoting an admin leaves zero live sessions from racing sign-ins, and none of its tokens grants roles', async () => {
    const raced: ApiResponse[] = [];
    const grantTokens: string[] = [];
    const adminToken = (await signIn(admin().username, admin().password)).json.accessToken as string;
    for (let round = 0; round < ROUNDS; round++) {
      const from = `127.0.0.${80 + round}`;
      const user = newUser('rolerace');
      expect((await signUp({ ...user, roles: ['admin', 'user'] }, { 'x-access-token': adminToken })).status).toBe(200);
      const first = await apiFrom(from, 'POST', '/api/auth/signin', { username: user.username, password: user.password });
      grantTokens.push(first.json.accessToken as string);
      const id = first.json.id as string;
      const answers = await Promise.all([
        ...staggered(SIGN_INS, round, () => apiFrom(from, 'POST', '/api/auth/signin', { username: user.username, password: user.password })),
        api('PUT', `/api/admin/users/${id}/roles`, { token: adminToken, body: { roles: ['user'] } }),
      ]);
      expect(answers.at(-1)!.status).toBe(200);
      raced.push(first, ...answers.slice(0, -1));
      // Sign-ins that finished after the change are sessions of a plain user: those may live on.
      const after = answers.slice(0, -1).filter((r) => r.status === 200 && !(r.json.roles as string[]).includes('ROLE_ADMIN'));
      for (const r of after) raced.splice(raced.indexOf(r), 1);
    }
    const admins = raced.filter((r) => r.status === 200);
    for (const r of admins) grantTokens.push(r.json.accessToken as string);
    // No token of the demoted admins may create a privileged account, cached decision or not.
    for (const token of grantTokens) {
      const made = await signUp({ ...newUser('granted'), roles: ['moderator', 'user'] }, { 'x-access-token': token });
      expect([401, 403]).toContain(made.status);
    }
    expect(await survivors(await tokensOf(admins))).toEqual([]);
  });
});
