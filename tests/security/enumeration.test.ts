import bcrypt from 'bcryptjs';
import { apiFrom, signUp } from '../support/api';
import { newUser } from '../support/data';

// Sign-in must not tell an unknown username from a wrong password: not by body, not by time.
// Samples are interleaved (each pair back to back, alternating which goes first) and medians are
// compared, so drift in machine load hits both sides alike. Each sample comes from its own loopback
// address and username, so the lockout never interferes.
const SAMPLES = 45;
const WARMUP = 5;

async function timed(address: string, username: string): Promise<{ ms: number; status: number; text: string }> {
  const started = process.hrtime.bigint();
  const response = await apiFrom(address, 'POST', '/api/auth/signin', { username, password: 'not the password' });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.status, text: response.text };
}

const signInFrom = (address: string, username: string, password: string) =>
  apiFrom(address, 'POST', '/api/auth/signin', { username, password });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('user enumeration through sign-in', () => {
  it('unknown user and wrong password: byte-identical answers and matching time distributions', async () => {
    const existing: string[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const user = newUser('enum');
      expect((await signUp(user)).status).toBe(200);
      existing.push(user.username);
    }
    // One bcrypt compare at the stack's cost: the difference a missing dummy compare would make.
    const hash = await bcrypt.hash('x', Number(process.env.E2E_BCRYPT_COST));
    const compares: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = process.hrtime.bigint();
      await bcrypt.compare('y', hash);
      compares.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const oneCompare = median(compares);

    const wrongPassword: number[] = [];
    const unknownUser: number[] = [];
    const bodies = new Set<string>();
    // Warm-up pairs (worker threads, connections), not counted.
    for (let i = 0; i < WARMUP; i++) {
      await timed(`127.0.9.${i + 1}`, existing[i]!);
      await timed(`127.0.9.${i + 1}`, newUser('ghost').username);
    }
    for (let i = WARMUP; i < SAMPLES; i++) {
      const address = `127.0.${10 + Math.floor(i / 200)}.${(i % 200) + 1}`;
      const pair = [
        async () => wrongPassword.push(await record(timed(address, existing[i]!))),
        async () => unknownUser.push(await record(timed(address, newUser('ghost').username))),
      ];
      if (i % 2) pair.reverse();
      for (const run of pair) await run();
    }
    async function record(result: Promise<{ ms: number; status: number; text: string }>): Promise<number> {
      const { ms, status, text } = await result;
      expect(status).toBe(401);
      bodies.add(text);
      return ms;
    }

    expect([...bodies]).toEqual(['{"accessToken":null,"message":"Invalid username or password!"}']);
    const difference = Math.abs(median(unknownUser) - median(wrongPassword));
    // Without the dummy compare the unknown user would be about one compare faster.
    expect(difference).toBeLessThan(oneCompare / 2);
  });

  it('the 429 lock treats an unknown username exactly like an existing one', async () => {
    const existing = newUser();
    await signUp(existing);
    const unknown = newUser().username;
    for (let i = 0; i < 5; i++) {
      await signInFrom('127.0.0.4', existing.username, 'wrong password');
      await signInFrom('127.0.0.4', unknown, 'wrong password');
    }
    const [a, b] = [await signInFrom('127.0.0.4', existing.username, 'x'), await signInFrom('127.0.0.4', unknown, 'x')];
    expect(a.status).toBe(429);
    expect(b.status).toBe(429);
    expect(a.text).toBe(b.text);
    // Both windows opened within the same moment: Retry-After may differ only by a clock-second tick.
    expect(Math.abs(Number(a.headers.get('retry-after')) - Number(b.headers.get('retry-after')))).toBeLessThanOrEqual(1);
  });
});
