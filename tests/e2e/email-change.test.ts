import { createTable } from '../../lib/store/table';
import { api, apiFrom, signIn, signUp } from '../support/api';
import { newUser, uniqueName } from '../support/data';
import { awaitMails, forgetMailQuota, linkToken } from '../support/mail';

// Changing one's email over HTTP, with mail read from the SES emulator, and signing in with the email.
// Requests that cause mail come from loopback addresses of this file's own (127.0.42.x), so the per-IP
// mail limit meets no other test.
const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

let nextAddress = 1;
const freshAddress = () => `127.0.42.${nextAddress++}`;

const VERIFY_SUBJECT = /^Confirm your email address/;
const CONFIRM_SUBJECT = /^Confirm your new email address/;
const NOTICE_SUBJECT = /email address is being changed$/;
const RESET_SUBJECT = /^Reset your .+ password$/;

const change = (accessToken: string, body: unknown, from = freshAddress()) =>
  apiFrom(from, 'POST', '/api/auth/email/change', body, { 'x-access-token': accessToken });

async function signedIn() {
  const user = newUser('emailchg');
  expect((await signUp(user)).status).toBe(200);
  await awaitMails(user.email, VERIFY_SUBJECT);
  await forgetMailQuota(table, user.email);
  // Sign-in with the email in the username field, in another case: the same body as by username.
  const signedIn = await signIn(user.email.toUpperCase(), user.password);
  expect(signedIn.status).toBe(200);
  expect(signedIn.json).toMatchObject({ username: user.username, email: user.email });
  return { user, accessToken: signedIn.json.accessToken as string };
}

describe('changing the email address over HTTP', () => {
  it('links the new address, tells the old one, and changes only when the link is spent', async () => {
    const { user, accessToken } = await signedIn();
    const newEmail = `${uniqueName('newaddr')}@example.org`;

    expect(await change(accessToken, { newEmail, password: 'not the password' })).toMatchObject({
      status: 401,
      json: { message: 'Current password is incorrect!' },
    });
    expect(await change(accessToken, { newEmail: 'nope', password: user.password })).toMatchObject({
      status: 400,
      json: { message: 'newEmail must be a valid email address' },
    });
    const anonymous = await apiFrom(freshAddress(), 'POST', '/api/auth/email/change', { newEmail, password: user.password });
    expect([401, 403]).toContain(anonymous.status);
    expect(anonymous.json).toEqual({ message: 'No token provided!' });

    // A reset link mailed to the old address before the change: it must die with it.
    expect((await apiFrom(freshAddress(), 'POST', '/api/auth/password/forgot', { email: user.email })).status).toBe(202);
    const resetToken = linkToken((await awaitMails(user.email, RESET_SUBJECT))[0]!);

    expect(await change(accessToken, { newEmail, password: user.password })).toMatchObject({
      status: 202,
      json: { message: 'A confirmation link has been sent to the new address. Your email changes when it is opened.' },
    });
    const [notice] = await awaitMails(user.email, NOTICE_SUBJECT);
    expect(notice!.body.text).toContain('n***@example.org');
    expect(notice!.body.text).not.toContain(newEmail);
    const [confirm] = await awaitMails(newEmail, CONFIRM_SUBJECT);
    expect(confirm!.body.text).toContain('/verify-email#token=');
    expect(confirm!.body.text).not.toContain(user.username);

    // Nothing has changed yet.
    expect((await api('GET', '/api/auth/me', { token: accessToken })).json).toMatchObject({ email: user.email });
    expect((await signIn(newEmail, user.password)).status).toBe(401);

    expect(await api('POST', '/api/auth/email/verify', { body: { token: linkToken(confirm!) } })).toMatchObject({
      status: 200,
      json: { message: 'Email was verified successfully!' },
    });
    // This session lives on and sees the new, verified address.
    expect((await api('GET', '/api/auth/me', { token: accessToken })).json).toMatchObject({ email: newEmail, emailVerified: true });
    expect((await signIn(newEmail, user.password)).status).toBe(200);
    expect((await signIn(user.email, user.password)).status).toBe(401);
    expect(await apiFrom(freshAddress(), 'POST', '/api/auth/password/reset', { token: resetToken, newPassword: 'taken over password' })).toMatchObject({
      status: 400,
      json: { message: 'Reset token is invalid or has expired.' },
    });
    expect(await api('POST', '/api/auth/email/verify', { body: { token: linkToken(confirm!) } })).toMatchObject({ status: 400 });
    const events = (await api('GET', '/api/auth/events', { token: accessToken })).json.events as { type: string }[];
    expect(events.map((event) => event.type)).toContain('email.change');
  });

  it("refuses another account's address and the current one", async () => {
    const { user, accessToken } = await signedIn();
    const other = newUser('emailtaken');
    expect((await signUp(other)).status).toBe(200);
    expect(await change(accessToken, { newEmail: other.email.toUpperCase(), password: user.password })).toMatchObject({
      status: 400,
      json: { message: 'Failed! Email is already in use!' },
    });
    expect(await change(accessToken, { newEmail: user.email, password: user.password })).toMatchObject({
      status: 400,
      json: { message: 'newEmail is already your email address' },
    });
  });

  it('the link dies when the password changes before it is spent', async () => {
    const { user, accessToken } = await signedIn();
    const newEmail = `${uniqueName('late')}@example.org`;
    expect((await change(accessToken, { newEmail, password: user.password })).status).toBe(202);
    const [confirm] = await awaitMails(newEmail, CONFIRM_SUBJECT);
    const changed = await api('POST', '/api/auth/password', { token: accessToken, body: { currentPassword: user.password, newPassword: 'another password' } });
    expect(changed.status).toBe(200);
    expect(await api('POST', '/api/auth/email/verify', { body: { token: linkToken(confirm!) } })).toMatchObject({
      status: 400,
      json: { message: 'Verification token is invalid or has expired.' },
    });
    expect((await signIn(user.email, 'another password')).status).toBe(200);
  });
});

describe('sign-up and the email sign-in', () => {
  it('refuses a username with "@"', async () => {
    const user = { ...newUser('at'), username: `${uniqueName('at')}@example.com` };
    expect(await signUp(user)).toMatchObject({
      status: 400,
      json: { message: 'username must not contain "@" (sign-in takes a name with "@" for an email address)' },
    });
  });
});
