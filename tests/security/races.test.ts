import { api, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';

// Concurrency attacks over HTTP: the database's conditions, not timing luck, must decide.
// Parallel failed sign-ins against the lock counter: tests/e2e/lockout.test.ts (exactly 5 of 20 checked).
describe('races', () => {
  it('20 parallel identical sign-ups make exactly one account, and it works', async () => {
    const user = newUser();
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => signUp(user)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 400)).toBe(true);
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
    expect(byEmail.filter((r) => r.status !== 200).every((r) => r.json.message === 'Failed! Email is already in use!')).toBe(true);
  });

  it('20 parallel refreshes of one token: at most one winner, and no two live chains', async () => {
    const user = newUser();
    await signUp(user);
    const refreshToken = (await signIn(user.username, user.password)).json.refreshToken as string;
    const responses = await Promise.all(Array.from({ length: 20 }, () => api('POST', '/api/auth/refreshtoken', { body: { refreshToken } })));
    const winners = responses.filter((r) => r.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(responses.filter((r) => r.status !== 200).every((r) => r.status === 403)).toBe(true);
    // Whatever won, the race was reuse: the whole family is dead, so no chain lives on.
    for (const winner of winners) {
      expect((await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: winner.json.refreshToken } })).status).toBe(403);
    }
  });
});
