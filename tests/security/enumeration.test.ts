import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import { apiFrom, signUp } from '../support/api';
import { newUser } from '../support/data';
import { createTable } from '../../lib/store/table';
import { awaitMails, forgetMailQuota } from '../support/mail';

// Sign-in must not tell an unknown username from a wrong password: not by body, not by time.
// Samples are interleaved (each pair back to back, alternating which goes first) and medians are
// compared, so drift in machine load hits both sides alike. Each sample comes from its own loopback
// address and username, so the lockout never interferes.
const SAMPLES = 45;
const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());
const WARMUP = 5;

async function timed(address: string, username: string): Promise<{ ms: number; status: number; text: string }> {
  const started = process.hrtime.bigint();
  const response = await apiFrom(address, 'POST', '/api/auth/signin', { username, password: 'not the password' });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.status, text: response.text };
}

const signInFrom = (address: string, username: string, password: string) => apiFrom(address, 'POST', '/api/auth/signin', { username, password });

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

  // Forgot-password and resend answer before anything looks at the address (the mailer function does,
  // afterwards), so a known and an unknown address must get the same bytes in the same time. After each
  // known address's request the test waits for its mail, so the mailer's work never overlaps a sample.
  it.each([
    ['/api/auth/password/forgot', /^Reset your/],
    ['/api/auth/email/resend', /^Confirm your email address/],
  ])('%s: known and unknown addresses get byte-identical answers in matching times', async (path, subject) => {
    const MAIL_SAMPLES = 60;
    const known: string[] = [];
    for (let i = 0; i < MAIL_SAMPLES + WARMUP; i++) {
      const user = newUser('mailenum');
      expect((await signUp(user)).status).toBe(200);
      known.push(user.email);
    }
    // Sign-up's link took each address's quota minute: once it has gone out, forget that, so the mail
    // each known address's request asks for below is sent (and can be waited for).
    for (const email of known) {
      await awaitMails(email, /^Confirm your email address/);
      await forgetMailQuota(table, email);
    }
    const octet = path.endsWith('forgot') ? 41 : 42;
    const timedMail = async (address: string, email: string) => {
      const started = process.hrtime.bigint();
      const response = await apiFrom(address, 'POST', path, { email });
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.status, text: response.text };
    };
    const knownMs: number[] = [];
    const unknownMs: number[] = [];
    const bodies = new Set<string>();
    for (let i = 0; i < MAIL_SAMPLES + WARMUP; i++) {
      const address = `127.0.${octet}.${i + 1}`;
      const ghost = `ghost_${randomBytes(6).toString('hex')}@example.com`;
      const pair = [
        async () => {
          const result = await timedMail(address, known[i]!);
          if (i >= WARMUP) knownMs.push(result.ms);
          bodies.add(`${result.status} ${result.text}`);
          // Untimed: the mail (sign-up's link, then forgot's) has gone out, so the mailer's lookups and
          // SES call do not run on these two cores during the pair's other request.
          await awaitMails(known[i]!, subject, path.endsWith('forgot') ? 1 : 2);
        },
        async () => {
          const result = await timedMail(address, ghost);
          if (i >= WARMUP) unknownMs.push(result.ms);
          bodies.add(`${result.status} ${result.text}`);
        },
      ];
      if (i % 2) pair.reverse();
      for (const run of pair) await run();
    }
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toMatch(/^202 /);
    // The median of the paired differences: each pair ran back to back, so drift cancels out.
    const pairedDifference = median(knownMs.map((ms, i) => ms - unknownMs[i]!));
    // Measured on a 2-core machine: looking the address up and storing a token in the request (without
    // even the SES call) makes a known address about 6 ms slower. While the test waited for the mail only
    // after each pair, equal work differed by -2.9 to +0.1 ms: the mailer's work for a known address ran
    // on these two cores during the pair's second request (on AWS it runs in another Lambda).
    console.log(
      `${path}: known ${median(knownMs).toFixed(1)} ms, unknown ${median(unknownMs).toFixed(1)} ms, paired difference ${pairedDifference.toFixed(1)} ms`,
    );
    expect(Math.abs(pairedDifference)).toBeLessThan(4);
  });
});
