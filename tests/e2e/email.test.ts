import { randomBytes } from 'node:crypto';
import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Secret, TOTP } from 'otpauth';
import { hashOpaqueToken } from '../../lib/access/tokens';
import { saveEmailToken } from '../../lib/store/email-tokens';
import { itemKeys } from '../../lib/store/item-keys';
import { createTable } from '../../lib/store/table';
import { admin, api, apiFrom, refusedWithinRevocationBound, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';
import { gateway } from '../support/gateway';
import { awaitMails, forgetMailQuota, linkToken, mailsTo, type StoredMail } from '../support/mail';

// Password reset and email verification over HTTP, with mail read from the SES emulator's store
// (GET /store) that the mailer function sent it through @aws-sdk/client-sesv2. Requests that ask for
// mail come from loopback addresses of this file's own (127.0.40.x), so the per-IP mail limit
// (EMAIL_IP_THRESHOLD=5 per 60 s in this run) meets no other test. Sign-up's link takes its address's
// quota minute: tests that ask for another mail at once forget the quota first (forgetMailQuota).
const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

let nextAddress = 1;
/** A loopback address no other request of the run comes from. */
const freshAddress = () => `127.0.40.${nextAddress++}`;

const forgot = (email: string, from = freshAddress()) => apiFrom(from, 'POST', '/api/auth/password/forgot', { email });
const resend = (email: string, from = freshAddress()) => apiFrom(from, 'POST', '/api/auth/email/resend', { email });
const reset = (token: string, newPassword: string, from = freshAddress()) => apiFrom(from, 'POST', '/api/auth/password/reset', { token, newPassword });
const verify = (token: unknown) => api('POST', '/api/auth/email/verify', { body: { token } });

/** Runs the mailer with `job` and waits for its answer (a synchronous invoke of the local Lambda endpoint). */
async function runMailer(job: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(`${process.env.E2E_LAMBDA_URL}/2015-03-31/functions/lambda-jwt-auth-local-mailer/invocations`, {
    method: 'POST',
    body: JSON.stringify(job),
  });
  expect(response.status).toBe(200);
  return response.json();
}

const RESET_SUBJECT = /^Reset your .+ password$/;
const VERIFY_SUBJECT = /^Confirm your email address/;
const CHANGED_SUBJECT = /password was changed$/;
const forgotBody = { message: 'If an account uses that email, a reset link has been sent.' };
const resetInvalid = { message: 'Reset token is invalid or has expired.' };
const verifyInvalid = { message: 'Verification token is invalid or has expired.' };

/** A new user whose sign-up link has arrived, with the address's quota forgotten again. */
async function signedUp(prefix = 'mail') {
  const user = newUser(prefix);
  expect((await signUp(user)).status).toBe(200);
  await awaitMails(user.email, VERIFY_SUBJECT);
  await forgetMailQuota(table, user.email);
  return user;
}

const signUpFrom = (from: string, user: ReturnType<typeof newUser>) => apiFrom(from, 'POST', '/api/auth/signup', user);

/** No text the requester chose: the username appears nowhere in the mail. */
function expectNoRequesterText(mail: StoredMail, user: { username: string }) {
  expect(mail.body.text).toMatch(/^Hello,\n/);
  expect(`${mail.subject}\n${mail.body.text}\n${mail.body.html}`).not.toContain(user.username);
}

async function resetToken(email: string): Promise<string> {
  expect(await forgot(email)).toMatchObject({ status: 202, json: forgotBody });
  return linkToken((await awaitMails(email, RESET_SUBJECT)).at(-1)!);
}

describe('email verification', () => {
  it('sign-up mails a link whose token, spent by a POST, verifies the address once', async () => {
    const user = await signedUp();
    const [mail] = await awaitMails(user.email, VERIFY_SUBJECT);
    expect(mail!.from).toContain('no-reply@localhost');
    // Plain text and HTML, the link to the front-end with the token in the fragment, no tracking.
    // To an address nobody has proved yet: no greeting by the username the requester chose.
    expectNoRequesterText(mail!, user);
    expect(mail!.body.text).toContain(`http://localhost:8081/verify-email#token=`);
    expect(mail!.body.html).toContain(`<a href="http://localhost:8081/verify-email#token=`);
    expect(mail!.body.html).not.toMatch(/<img|\?utm_|track/i);
    const token = linkToken(mail!);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);

    const { accessToken } = (await signIn(user.username, user.password)).json as { accessToken: string };
    expect((await api('GET', '/api/auth/me', { token: accessToken })).json.emailVerified).toBe(false);
    // A mail scanner opening the link reaches the front-end, never the API; and the API has no GET that
    // takes a token: nothing is spent by one.
    // (No route for GET: the gateway's 404, support/gateway.ts.)
    expect((await api('GET', `/api/auth/email/verify?token=${token}`)).status).toBe(gateway().unknownRoute.status);
    expect(await verify(token)).toMatchObject({ status: 200, json: { message: 'Email was verified successfully!' } });
    expect((await api('GET', '/api/auth/me', { token: accessToken })).json.emailVerified).toBe(true);
    // Single use.
    expect(await verify(token)).toMatchObject({ status: 400, json: verifyInvalid });
    const events = (await api('GET', '/api/auth/events', { token: accessToken })).json.events as { type: string }[];
    expect(events.map((event) => event.type)).toContain('email.verify');
  });

  it('resend mails a new link that replaces the old one, and the same 202 for any address', async () => {
    const user = await signedUp();
    const first = linkToken((await awaitMails(user.email, VERIFY_SUBJECT))[0]!);
    const body = { message: 'If an account uses that email and it is not verified yet, a verification link has been sent.' };
    expect(await resend(user.email)).toMatchObject({ status: 202, json: body });
    expect(await resend(`nobody_${randomBytes(4).toString('hex')}@example.com`)).toMatchObject({ status: 202, json: body });
    const second = linkToken((await awaitMails(user.email, VERIFY_SUBJECT, 2))[1]!);
    expect(second).not.toBe(first);
    expect(await verify(first)).toMatchObject({ status: 400, json: verifyInvalid });
    expect((await verify(second)).status).toBe(200);
  });

  it('refuses forged, malformed and missing tokens with 400 and changes nothing', async () => {
    const user = await signedUp();
    await awaitMails(user.email, VERIFY_SUBJECT);
    expect(await verify(randomBytes(32).toString('base64url'))).toMatchObject({ status: 400, json: verifyInvalid });
    expect(await verify('short')).toMatchObject({ status: 400, json: verifyInvalid });
    expect(await verify(42)).toMatchObject({ status: 400, json: { message: 'token must be a string' } });
    expect(await api('POST', '/api/auth/email/verify', { body: {} })).toMatchObject({ status: 400, json: { message: 'token is required' } });
    const { accessToken } = (await signIn(user.username, user.password)).json as { accessToken: string };
    expect((await api('GET', '/api/auth/me', { token: accessToken })).json.emailVerified).toBe(false);
  });

  it('shows emailVerified in the admin list; the bootstrap admin is verified', async () => {
    const token = (await signIn(admin().username, admin().password)).json.accessToken as string;
    expect((await api('GET', '/api/auth/me', { token })).json.emailVerified).toBe(true);
    const user = await signedUp('listed');
    let found: Record<string, unknown> | undefined;
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/api/admin/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      found ??= (page.json.users as Record<string, unknown>[]).find((listed) => listed.username === user.username);
      cursor = page.json.nextCursor as string | null;
    } while (cursor && !found);
    expect(found).toMatchObject({ emailVerified: false, mfaEnabled: false });
  });
});

describe('sign-up mail limits', () => {
  it('withholds the link of a sign-up past the per-IP mail limit, yet creates the account', async () => {
    const from = freshAddress();
    const threshold = Number(process.env.E2E_EMAIL_IP_THRESHOLD);
    const users = Array.from({ length: threshold + 1 }, () => newUser('cannon'));
    for (const user of users) expect(await signUpFrom(from, user)).toMatchObject({ status: 200, json: { message: 'User was registered successfully!' } });
    const linked = users.slice(0, threshold);
    const withheld = users[threshold]!;
    for (const user of linked) expectNoRequesterText((await awaitMails(user.email, VERIFY_SUBJECT))[0]!, user);
    // The account exists and signs in.
    expect((await signIn(withheld.username, withheld.password)).status).toBe(200);
    // Forgot and resend count on the same counter: that IP is refused now.
    expect(await resend(withheld.email, from)).toMatchObject({ status: 429, json: { message: 'Too many requests. Please try again later.' } });
    // The owner can still ask from elsewhere. That reset mail marks the point by which a link job would
    // long have been handled (had one been sent, it would have taken the minute: no reset mail at all).
    expect((await forgot(withheld.email)).status).toBe(202);
    expectNoRequesterText((await awaitMails(withheld.email, RESET_SUBJECT))[0]!, withheld);
    expect((await mailsTo(withheld.email)).filter((mail) => VERIFY_SUBJECT.test(mail.subject))).toEqual([]);
  });

  it("counts sign-up's link against the address's quota: a resend within the minute sends nothing", async () => {
    const user = newUser('quota');
    expect((await signUp(user)).status).toBe(200);
    await awaitMails(user.email, VERIFY_SUBJECT);
    expect((await resend(user.email)).status).toBe(202);
    // The job that resend handed over, run once more, synchronously, through the local Lambda endpoint:
    // the mailer's own answer says why nothing went out, so this cannot pass merely because the
    // asynchronous job has not run yet.
    expect(await runMailer({ kind: 'resend-verification', email: user.email })).toBe('quota');
    // A later mail that no quota limits (it follows a change) marks the point by which the refused job
    // had long been handled.
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    expect((await api('POST', '/api/auth/password', { token, body: { currentPassword: user.password, newPassword: 'changed password 1' } })).status).toBe(200);
    expectNoRequesterText((await awaitMails(user.email, CHANGED_SUBJECT))[0]!, user);
    expect((await mailsTo(user.email)).filter((mail) => VERIFY_SUBJECT.test(mail.subject))).toHaveLength(1);
  });

  it('answers 429 with Retry-After past SIGNUP_IP_THRESHOLD sign-ups from one IP, and stores nothing for it', async () => {
    const from = freshAddress();
    const threshold = Number(process.env.E2E_SIGNUP_IP_THRESHOLD);
    // Refused for its input: answered 400 and not counted.
    expect(await signUpFrom(from, { ...newUser(), email: 'not an address' })).toMatchObject({ status: 400 });
    for (let i = 0; i < threshold; i++) expect((await signUpFrom(from, newUser('limit'))).status).toBe(200);
    const refusedUser = newUser('limit');
    const refused = await signUpFrom(from, refusedUser);
    expect(refused).toMatchObject({ status: 429, json: { message: 'Too many sign-ups. Please try again later.' } });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await signIn(refusedUser.username, refusedUser.password)).status).toBe(401);
    // Only that IP is limited.
    expect((await signUp(refusedUser)).status).toBe(200);
  });
});

describe('password reset', () => {
  it('resets with the mailed token: every session ends, no sign-in, a notice is mailed, the token dies', async () => {
    const user = await signedUp('reset');
    const session = (await signIn(user.username, user.password)).json as { accessToken: string; refreshToken: string };
    const token = await resetToken(user.email);
    const [mail] = await mailsTo(user.email).then((mails) => mails.filter((m) => RESET_SUBJECT.test(m.subject)));
    expect(mail!.body.text).toContain('http://localhost:8081/reset-password#token=');
    expect(mail!.body.html).toContain('<a href="http://localhost:8081/reset-password#token=');

    // Used (its decision cached) just before the reset, so the revocation bound is what gets tested.
    expect((await api('GET', '/api/test/user', { token: session.accessToken })).status).toBe(200);
    const answer = await reset(token, 'a brand new password');
    expect(answer).toMatchObject({ status: 200, json: { message: 'Password was reset successfully!' } });
    expect(answer.json).not.toHaveProperty('accessToken');
    expect(answer.headers.get('set-cookie')).toBeNull();

    expect((await signIn(user.username, user.password)).status).toBe(401);
    const fresh = await signIn(user.username, 'a brand new password');
    expect(fresh.status).toBe(200);
    // The old session: its refresh token at once, its access token within the revocation bound.
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: session.refreshToken } })).toMatchObject({
      status: 403,
      json: { message: 'Session ended. Please sign in again.' },
    });
    await refusedWithinRevocationBound(() => api('GET', '/api/test/user', { token: session.accessToken }));
    await awaitMails(user.email, CHANGED_SUBJECT);
    // Single use, and the reset proved the address.
    expect(await reset(token, 'yet another password')).toMatchObject({ status: 400, json: resetInvalid });
    const me = await api('GET', '/api/auth/me', { token: fresh.json.accessToken as string });
    expect(me.json.emailVerified).toBe(true);
    const events = (await api('GET', '/api/auth/events', { token: fresh.json.accessToken as string })).json.events as { type: string }[];
    expect(events.map((event) => event.type)).toContain('password.reset');
  });

  it('answers forgot the same for known and unknown addresses; mails only the known one', async () => {
    const user = await signedUp();
    const unknown = `ghost_${randomBytes(4).toString('hex')}@example.com`;
    const [known, ghost] = [await forgot(user.email), await forgot(unknown)];
    expect({ status: ghost.status, text: ghost.text }).toEqual({ status: known.status, text: known.text });
    expect(known.status).toBe(202);
    await awaitMails(user.email, RESET_SUBJECT);
    // Case does not matter for the address.
    expect((await forgot(user.email.toUpperCase())).status).toBe(202);
    expect(await mailsTo(unknown)).toEqual([]);
  });

  it('sends at most one mail a minute per address, silently', async () => {
    const user = await signedUp('quota');
    const session = (await signIn(user.username, user.password)).json as { accessToken: string };
    await resetToken(user.email);
    expect(await forgot(user.email)).toMatchObject({ status: 202, json: forgotBody });
    // A later mail to the same address (not limited: it follows a change) marks the point by which the
    // refused job had long been handled.
    expect(
      (await api('POST', '/api/auth/password', { token: session.accessToken, body: { currentPassword: user.password, newPassword: 'changed password 1' } }))
        .status,
    ).toBe(200);
    await awaitMails(user.email, CHANGED_SUBJECT);
    expect((await mailsTo(user.email)).filter((mail) => RESET_SUBJECT.test(mail.subject))).toHaveLength(1);
  });

  it('answers 429 with Retry-After past the per-IP limit of mail requests', async () => {
    const from = freshAddress();
    const threshold = Number(process.env.E2E_EMAIL_IP_THRESHOLD);
    for (let i = 0; i < threshold; i++) expect((await forgot(`ghost${i}_${randomBytes(4).toString('hex')}@example.com`, from)).status).toBe(202);
    const refused = await forgot(`ghost_${randomBytes(4).toString('hex')}@example.com`, from);
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ message: 'Too many requests. Please try again later.' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Resend shares the limit.
    expect((await resend(`ghost_${randomBytes(4).toString('hex')}@example.com`, from)).status).toBe(429);
  });

  it('refuses unknown, malformed and bad-password requests with 400, and spends nothing', async () => {
    const user = await signedUp();
    const token = await resetToken(user.email);
    expect(await reset(randomBytes(32).toString('base64url'), 'a brand new password')).toMatchObject({ status: 400, json: resetInvalid });
    expect(await reset('not-a-token', 'a brand new password')).toMatchObject({ status: 400, json: resetInvalid });
    expect(await reset(token, 'short')).toMatchObject({ status: 400, json: { message: 'newPassword must be at least 8 characters' } });
    expect(await reset(token, 'é'.repeat(40))).toMatchObject({ status: 400, json: { message: 'newPassword must be at most 72 bytes' } });
    expect(await forgot('not an address')).toMatchObject({ status: 400, json: { message: 'email must be a valid email address' } });
    expect(await resend('')).toMatchObject({ status: 400 });
    // Nothing was spent or changed: the old password still works, and the token still resets.
    expect((await signIn(user.username, user.password)).status).toBe(200);
    expect((await reset(token, 'a brand new password')).status).toBe(200);
  });

  it('refuses an expired token (by check, before TTL removes it), and a verification token as a reset token', async () => {
    const user = await signedUp();
    const me = (await signIn(user.username, user.password)).json as { id: string };
    // Tokens made the way the mailer makes them, with an expiry already past.
    const expired = randomBytes(32).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    await saveEmailToken(table, { hash: hashOpaqueToken(expired), purpose: 'reset', userId: me.id, email: user.email, expiresAt: now - 1 });
    expect(await reset(expired, 'a brand new password')).toMatchObject({ status: 400, json: resetInvalid });
    const verification = linkToken((await awaitMails(user.email, VERIFY_SUBJECT))[0]!);
    expect(await reset(verification, 'a brand new password')).toMatchObject({ status: 400, json: resetInvalid });
    expect((await signIn(user.username, user.password)).status).toBe(200);
    // The verification token was not spent by that.
    expect((await verify(verification)).status).toBe(200);
  });

  it('clears the sign-in lockout of the username', async () => {
    const user = await signedUp();
    const token = await resetToken(user.email);
    // A lock that lasts an hour, as an attacker guessing the password would cause.
    const now = Math.floor(Date.now() / 1000);
    await table.client.send(
      new PutCommand({ TableName: table.name, Item: { ...itemKeys.attempts('username', user.username.toLowerCase()), attempts: 100, expiresAt: now + 3600 } }),
    );
    expect((await signIn(user.username, user.password)).status).toBe(429);
    expect((await reset(token, 'a brand new password')).status).toBe(200);
    expect((await signIn(user.username, 'a brand new password')).status).toBe(200);
  });

  it('counts reset attempts against the source IP sign-in limit', async () => {
    const from = freshAddress();
    const key = itemKeys.attempts('ip', from);
    const now = Math.floor(Date.now() / 1000);
    await table.client.send(
      new PutCommand({ TableName: table.name, Item: { ...key, attempts: Number(process.env.E2E_LOCKOUT_IP_THRESHOLD) - 1, expiresAt: now + 3600 } }),
    );
    expect((await reset(randomBytes(32).toString('base64url'), 'a brand new password', from)).status).toBe(400);
    const counted = await table.client.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }));
    expect(counted.Item?.attempts).toBe(Number(process.env.E2E_LOCKOUT_IP_THRESHOLD));
    const refused = await reset(randomBytes(32).toString('base64url'), 'a brand new password', from);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('leaves MFA on: after a reset, sign-in still asks for the second factor', async () => {
    const user = await signedUp('mfareset');
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    const secret = (await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } })).json.secret as string;
    const code = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate();
    expect((await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code } })).status).toBe(200);
    expect((await reset(await resetToken(user.email), 'a brand new password')).status).toBe(200);
    expect((await signIn(user.username, 'a brand new password')).json).toMatchObject({ mfaRequired: true });
  });
});

// Any change of credentials spends the live reset link (issue 21, point 5): a link mailed before the
// owner changed the password (or an admin the roles, or MFA went on or off) must not undo that change.
describe('a reset link mailed before a change of credentials', () => {
  const totp = (secret: string) => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate();
  async function withMfa(user: { username: string; password: string }) {
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    const secret = (await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } })).json.secret as string;
    expect((await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: totp(secret) } })).status).toBe(200);
    return { token, id: (await api('GET', '/api/auth/me', { token })).json.id as string };
  }
  const adminToken = async () => (await signIn(admin().username, admin().password)).json.accessToken as string;

  it.each([
    [
      'a password change',
      async (user: { username: string; password: string }) => {
        const token = (await signIn(user.username, user.password)).json.accessToken as string;
        expect((await api('POST', '/api/auth/password', { token, body: { currentPassword: user.password, newPassword: 'changed by the owner' } })).status).toBe(
          200,
        );
      },
    ],
    [
      'a role change',
      async (user: { username: string; password: string }) => {
        const id = (await signIn(user.username, user.password)).json.id as string;
        expect((await api('PUT', `/api/admin/users/${id}/roles`, { token: await adminToken(), body: { roles: ['user', 'moderator'] } })).status).toBe(200);
      },
    ],
    [
      'MFA turned on',
      async (user: { username: string; password: string }) => {
        await withMfa(user);
      },
    ],
  ])('is dead after %s', async (_, change) => {
    const user = await signedUp('spent');
    const token = await resetToken(user.email);
    await change(user);
    expect(await reset(token, 'the link holder chose this')).toMatchObject({ status: 400, json: resetInvalid });
    expect((await signIn(user.username, 'the link holder chose this')).status).toBe(401);
  });

  it.each([
    [
      'MFA turned off',
      async (user: { password: string }, mfa: { token: string }) => {
        expect((await api('DELETE', '/api/auth/mfa/totp', { token: mfa.token, body: { password: user.password } })).status).toBe(200);
      },
    ],
    [
      "an admin's MFA reset",
      async (_user: unknown, mfa: { id: string }) => {
        expect((await api('DELETE', `/api/admin/users/${mfa.id}/mfa`, { token: await adminToken() })).status).toBe(200);
      },
    ],
  ])('is dead after %s', async (_, change) => {
    const user = await signedUp('spentmfa');
    const mfa = await withMfa(user);
    const token = await resetToken(user.email);
    await change(user, mfa);
    expect(await reset(token, 'the link holder chose this')).toMatchObject({ status: 400, json: resetInvalid });
    expect((await signIn(user.username, 'the link holder chose this')).status).toBe(401);
  });
});

describe('password change', () => {
  it('mails a "password changed" notice', async () => {
    const user = await signedUp();
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    expect((await api('POST', '/api/auth/password', { token, body: { currentPassword: user.password, newPassword: 'changed password 1' } })).status).toBe(200);
    const [notice] = await awaitMails(user.email, CHANGED_SUBJECT);
    expect(notice!.body.text).toContain('signed out');
    expect(notice!.body.text).not.toContain('changed password 1');
  });
});
