import { apiFrom, signUp } from '../support/api';
import { newUser } from '../support/data';

// Brute-force protection, from loopback addresses of their own (127.0.0.2+) so the per-IP limit of
// these tests and of the rest of the suite do not meet. LOCKOUT_THRESHOLD=5 and a 4 s window for this run.
const windowMs = Number(process.env.E2E_LOCKOUT_WINDOW_MS);
const ipThreshold = Number(process.env.E2E_LOCKOUT_IP_THRESHOLD);
const signInFrom = (address: string, username: string, password: string) =>
  apiFrom(address, 'POST', '/api/auth/signin', { username, password });

describe('sign-in lockout', () => {
  it('locks an account after 5 attempts, even for the right password, and unlocks by itself', async () => {
    const user = newUser();
    await signUp(user);
    for (let i = 0; i < 5; i++) expect((await signInFrom('127.0.0.2', user.username, 'wrong password')).status).toBe(401);
    const locked = await signInFrom('127.0.0.2', user.username, user.password);
    expect(locked.status).toBe(429);
    expect(locked.json).toEqual({ message: 'Too many sign-in attempts. Please try again later.' });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 500));
    expect((await signInFrom('127.0.0.2', user.username, user.password)).status).toBe(200);
  });

  // An unknown username is locked exactly like an existing one: tests/security/enumeration.test.ts.

  it('counts parallel failed attempts exactly: no more than 5 are ever checked', async () => {
    const user = newUser();
    await signUp(user);
    const responses = await Promise.all(Array.from({ length: 20 }, () => signInFrom('127.0.0.5', user.username, 'wrong password')));
    expect(responses.filter((r) => r.status === 401)).toHaveLength(5);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it('limits one source IP spraying many accounts', async () => {
    // Eight at a time (serverless-offline times out under hundreds of parallel invocations); the counter
    // is atomic, so exactly the threshold is admitted whatever the order.
    const statuses: number[] = [];
    const total = ipThreshold + 5;
    while (statuses.length < total) {
      const batch = Math.min(8, total - statuses.length);
      const responses = await Promise.all(Array.from({ length: batch }, () => signInFrom('127.0.0.3', newUser().username, 'wrong password')));
      statuses.push(...responses.map((r) => r.status));
    }
    expect(statuses.filter((status) => status === 401)).toHaveLength(ipThreshold);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
  });
});
