import { newKeySet } from '../../lib/access/signing-keys';
import { startApiStack, type ApiStack } from '../../scripts/local-stack';
import { createTable, type Table } from '../../lib/store/table';
import { eventually } from '../support/api';
import { forgetMailQuota } from '../support/mail';
import { newUser } from '../support/data';

// Mail that cannot be sent, and sign-in that requires a verified address. This file runs its own stack
// (REQUIRE_VERIFIED_EMAIL=on) so it can stop the SES emulator without disturbing other tests.
let stack: ApiStack;

async function post(path: string, body: unknown) {
  const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

async function mailTo(address: string, subject: RegExp, withinMs = 10_000): Promise<string> {
  let token = '';
  await eventually(async () => {
    const { emails } = (await (await fetch(`${stack.sesUrl}/store`)).json()) as {
      emails: { destination: { to: string[] }; subject: string; body: { text: string } }[];
    };
    const mail = emails.filter((m) => m.destination.to.includes(address) && subject.test(m.subject)).at(-1);
    token = /#token=([A-Za-z0-9_-]+)/.exec(mail?.body.text ?? '')?.[1] ?? '';
    return token !== '';
  }, withinMs);
  return token;
}

let table: Table;

beforeAll(async () => {
  stack = await startApiStack({ keySet: await newKeySet('mail-fault-key'), env: { BCRYPT_COST: '4', REQUIRE_VERIFIED_EMAIL: 'on' } });
  table = createTable({ tableName: stack.database.tableName, region: 'us-east-1', dynamodbEndpoint: stack.database.dynamo.endpoint });
}, 180_000);

afterAll(async () => {
  table?.client.destroy();
  await stack?.stop();
});

describe('REQUIRE_VERIFIED_EMAIL=on', () => {
  it('refuses an unverified address with 403, only after a correct password, until the link is spent', async () => {
    const user = newUser('strict');
    expect((await post('/api/auth/signup', user)).status).toBe(200);
    expect(await post('/api/auth/signin', { username: user.username, password: 'wrong password' })).toMatchObject({ status: 401 });
    const refused = await post('/api/auth/signin', { username: user.username, password: user.password });
    expect(refused).toMatchObject({ status: 403, json: { message: 'Email is not verified!' } });
    expect(refused.json).not.toHaveProperty('accessToken');
    const token = await mailTo(user.email, /^Confirm your email address/);
    expect((await post('/api/auth/email/verify', { token })).status).toBe(200);
    expect((await post('/api/auth/signin', { username: user.username, password: user.password })).json).toHaveProperty('accessToken');
  });
});

describe('SES down', () => {
  it('still answers forgot and resend with 202, logs the failure without the address, and mails again once SES is back', async () => {
    const user = newUser('sesdown');
    expect((await post('/api/auth/signup', user)).status).toBe(200);
    await mailTo(user.email, /^Confirm your email address/);
    // Sign-up's link took the address's quota minute; without forgetting it, forgot would mail nothing.
    await forgetMailQuota(table, user.email);
    await stack.stopMail();
    try {
      const answer = await post('/api/auth/password/forgot', { email: user.email });
      expect(answer).toMatchObject({ status: 202, json: { message: 'If an account uses that email, a reset link has been sent.' } });
      // The mailer's failure is in the log, as a named error without a stack trace or the address.
      await eventually(async () => /"message":"mail job failed"/.test(stack.output()), 15_000);
      const line = stack
        .output()
        .split('\n')
        .find((text) => text.includes('"mail job failed"'))!;
      expect(line).toContain('"job":"reset-password"');
      expect(line).toMatch(/"error":"\w+: /);
      expect(line).not.toContain(user.email);
      // Resend likewise.
      expect((await post('/api/auth/email/resend', { email: user.email })).status).toBe(202);
    } finally {
      await stack.restartMail();
    }
    // Back up: mail flows again (another address: this one's quota counted the failed attempt).
    const next = newUser('sesback');
    expect((await post('/api/auth/signup', next)).status).toBe(200);
    await mailTo(next.email, /^Confirm your email address/);
    await forgetMailQuota(table, next.email);
    expect((await post('/api/auth/password/forgot', { email: next.email })).status).toBe(202);
    expect(await mailTo(next.email, /^Reset your/)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
