import { randomBytes } from 'node:crypto';
import { apiFrom, signUp } from '../support/api';
import { newUser } from '../support/data';
import { createTable } from '../../lib/store/table';
import { awaitMails, forgetMailQuota } from '../support/mail';

// Sign-in and the mail requests must not tell a known name or address from an unknown one by what the
// client reads: status, headers and body, byte for byte. That they cost the same work (reads, writes,
// bcrypt compares) is counted in tests/integration/enumeration.test.ts; how long they take is measured
// in `npm run bench` (bench/enumeration.ts), never asserted here. Each request comes from its own
// loopback address, so the lockout never interferes.
const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());
const PAIRS = 5;

const signInFrom = (address: string, username: string, password: string) => apiFrom(address, 'POST', '/api/auth/signin', { username, password });

/** What a client reads of an answer, minus the headers that differ per request (date, request ids). */
function visible(response: { status: number; headers: Headers; text: string }): string {
  const headers = [...response.headers.entries()].filter(
    ([name]) => !/^(date|x-amzn-requestid|x-amz-apigw-id|x-amzn-trace-id|connection|keep-alive)$/.test(name),
  );
  return JSON.stringify({ status: response.status, headers, body: response.text });
}

describe('user enumeration through sign-in and the mail requests', () => {
  it('unknown user and wrong password: byte-identical answers', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < PAIRS; i++) {
      const user = newUser('enum');
      expect((await signUp(user)).status).toBe(200);
      const wrongPassword = await signInFrom(`127.0.9.${i + 1}`, user.username, 'not the password');
      const unknownUser = await signInFrom(`127.0.9.${i + 101}`, newUser('ghost').username, 'not the password');
      expect(wrongPassword.status).toBe(401);
      answers.add(visible(wrongPassword)).add(visible(unknownUser));
      expect(unknownUser.text).toBe('{"accessToken":null,"message":"Invalid username or password!"}');
    }
    expect([...answers]).toHaveLength(1);
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
  // afterwards), so a known and an unknown address must get the same answer. The known address's mail
  // is awaited: the request was real, and did reach the mailer.
  it.each([
    ['/api/auth/password/forgot', /^Reset your/],
    ['/api/auth/email/resend', /^Confirm your email address/],
  ])('%s: known and unknown addresses get byte-identical answers', async (path, subject) => {
    const octet = path.endsWith('forgot') ? 41 : 42;
    const answers = new Set<string>();
    for (let i = 0; i < PAIRS; i++) {
      const user = newUser('mailenum');
      expect((await signUp(user)).status).toBe(200);
      // Sign-up's link took the address's quota minute: once it has gone out, forget that, so the mail
      // this request asks for is sent (and can be waited for).
      await awaitMails(user.email, /^Confirm your email address/);
      await forgetMailQuota(table, user.email);
      const known = await apiFrom(`127.0.${octet}.${i + 1}`, 'POST', path, { email: user.email });
      const unknown = await apiFrom(`127.0.${octet}.${i + 101}`, 'POST', path, { email: `ghost_${randomBytes(6).toString('hex')}@example.com` });
      expect(known.status).toBe(202);
      answers.add(visible(known)).add(visible(unknown));
      await awaitMails(user.email, subject, path.endsWith('forgot') ? 1 : 2);
    }
    expect([...answers]).toHaveLength(1);
  });
});
