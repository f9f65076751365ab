import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { requestMail, resetPassword, verifyEmail } from '../../lib/account/email-links';
import { hashOpaqueToken } from '../../lib/access/tokens';
import { deliverMail, type MailerDeps } from '../../lib/account/mail-delivery';
import { signIn } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import { changePassword } from '../../lib/account/password';
import type { MailingDeps, SecondFactorDeps } from '../../lib/account/types';
import type { EmailMessage } from '../../lib/email/templates';
import { ForbiddenError, InvalidCredentialsError } from '../../lib/shared/errors';
import { saveEmailToken, spendResetToken, spendVerifyToken } from '../../lib/store/email-tokens';
import { itemKeys } from '../../lib/store/item-keys';
import { listEvents } from '../../lib/store/events';
import { listSessionItems } from '../../lib/store/sessions';
import { MAIL_QUOTA, takeMailQuota } from '../../lib/store/mail-quota';
import { createTable } from '../../lib/store/table';
import { findUserByUsername, getUser } from '../../lib/store/users';
import { testAccountConfig } from '../support/account-config';
import { newUser, uniqueName } from '../support/data';
import { interceptedTable } from '../support/injection';
import { testKeySet } from '../support/keys';
import { recordingMailQueue } from '../support/mail';

// Emailed tokens, the per-address mail quota and the mailer's decisions, against DynamoDB Local with a
// clock of our own (expiry and hour-long windows without waiting). Mail itself goes nowhere here: the
// mailer's `send` records the messages (the SES boundary; e2e sends through the SES emulator).
const table = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
const clock = new Date('2026-05-01T08:00:00Z');
const seconds = () => Math.floor(clock.getTime() / 1000);
const mail = recordingMailQueue();
const OWN_IP = `100.64.${randomBytes(2).join('.')}`;
const sent: EmailMessage[] = [];
let deps: SecondFactorDeps & MailingDeps;
let mailer: MailerDeps;

beforeAll(async () => {
  deps = {
    table,
    keys: (await testKeySet()).keys,
    now: () => clock,
    // An address of this file's own: the per-IP mail counter is shared by every file that signs up from
    // 127.0.0.1 in this tier's one table, and sign-up's link is withheld past its limit.
    client: { userAgent: 'jest', ip: OWN_IP },
    mail,
    config: testAccountConfig,
  };
  mailer = {
    table,
    now: () => clock,
    send: async (message) => {
      sent.push(message);
    },
    config: { productName: 'Test Product', appUrl: 'https://app.example.com', resetTokenTtlSeconds: 900, verifyTokenTtlSeconds: 86_400 },
  };
});
afterAll(() => table.client.destroy());

async function registered() {
  const input = newUser('it_mail');
  await signUp(deps, input, undefined);
  return { input, user: (await findUserByUsername(table, input.username))! };
}

const tokenIn = (message: EmailMessage) => /#token=([A-Za-z0-9_-]{43})/.exec(message.text)![1]!;

/** The table, with every command it sends recorded (class name and input), in the order sent. */
function recording() {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const recorded = interceptedTable(table, async (command) => {
    const { input } = command as { input: Record<string, unknown> };
    sent.push({ name: (command as object).constructor.name, input });
  });
  return { table: recorded, sent };
}
/** A token's item as stored, if any. */
const tokenItem = async (hash: string) =>
  (await table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.emailToken(hash), ConsistentRead: true }))).Item;

describe('emailed tokens', () => {
  it('a new token replaces the old one; each is spent once; expired and wrong-purpose tokens spend nothing', async () => {
    const { user } = await registered();
    const save = (hash: string, purpose: 'reset' | 'verify', ttl = 900) =>
      saveEmailToken(table, { hash, purpose, userId: user.id, email: user.email, expiresAt: seconds() + ttl });
    await save('a'.repeat(64), 'reset');
    await save('b'.repeat(64), 'reset');
    expect(await spendResetToken(table, 'a'.repeat(64), seconds(), 'hash-1')).toBeUndefined();
    // Of the wrong purpose.
    expect(await spendVerifyToken(table, 'b'.repeat(64), seconds())).toBeUndefined();
    // Expired by check, before TTL has removed the item.
    expect(await spendResetToken(table, 'b'.repeat(64), seconds() + 900, 'hash-1')).toBeUndefined();
    expect((await getUser(table, user.id))!.passwordHash).toBe(user.passwordHash);
    expect(await spendResetToken(table, 'b'.repeat(64), seconds() + 899, 'hash-2')).toBe(user.id);
    const after = (await getUser(table, user.id))!;
    expect(after.passwordHash).toBe('hash-2');
    expect(after.credVersion).toBe(user.credVersion + 1);
    expect(after.emailVerified).toBe(true);
    expect(await spendResetToken(table, 'b'.repeat(64), seconds(), 'hash-3')).toBeUndefined();
  });

  it('stores a token by its hash, with what spending it needs and nothing else', async () => {
    const { user } = await registered();
    const expiresAt = seconds() + 900;
    await saveEmailToken(table, { hash: 'e'.repeat(64), purpose: 'verify', userId: user.id, email: user.email, expiresAt });
    expect(await tokenItem('e'.repeat(64))).toEqual({
      ...itemKeys.emailToken('e'.repeat(64)),
      type: 'emailToken',
      purpose: 'verify',
      userId: user.id,
      email: user.email,
      expiresAt,
    });
  });

  it("a new token deletes the item of the one it replaces; a user's first token, or the same one saved again, deletes nothing", async () => {
    const { user } = await registered();
    const { table: recorded, sent } = recording();
    const save = (hash: string) => saveEmailToken(recorded, { hash, purpose: 'reset', userId: user.id, email: user.email, expiresAt: seconds() + 900 });
    const [first, second] = ['f'.repeat(64), '0'.repeat(64)];
    await save(first);
    // Nothing to replace: the token and the profile's pointer, no delete.
    expect(sent.map((command) => command.name)).toEqual(['PutCommand', 'UpdateCommand']);
    sent.length = 0;
    await save(second);
    expect(sent.map((command) => command.name)).toEqual(['PutCommand', 'UpdateCommand', 'DeleteCommand']);
    expect(sent[2]!.input.Key).toEqual(itemKeys.emailToken(first));
    expect(await tokenItem(first)).toBeUndefined();
    // A token saved twice (the pointer already names it) must not delete itself.
    sent.length = 0;
    await save(second);
    expect(sent.map((command) => command.name)).toEqual(['PutCommand', 'UpdateCommand']);
    expect(await spendResetToken(table, second, seconds(), 'hash-1')).toBe(user.id);
  });

  it('a token refused on its read (expired, of another purpose) is tried in no write; the read is strongly consistent', async () => {
    const { user } = await registered();
    const expiresAt = seconds() + 900;
    await saveEmailToken(table, { hash: '1'.repeat(64), purpose: 'reset', userId: user.id, email: user.email, expiresAt });
    const { table: recorded, sent } = recording();
    // Expired at the second it expires (the transaction's own condition would refuse it too, one write later).
    expect(await spendResetToken(recorded, '1'.repeat(64), expiresAt, 'hash-1')).toBeUndefined();
    expect(await spendVerifyToken(recorded, '1'.repeat(64), seconds())).toBeUndefined();
    expect(sent.map((command) => command.name)).toEqual(['GetCommand', 'GetCommand']);
    // DynamoDB Local reads consistently whatever is asked; DynamoDB may not find a token saved a moment
    // ago on an eventually consistent read, and would refuse a fresh link: the request must ask.
    expect(sent.map((command) => command.input.ConsistentRead)).toEqual([true, true]);
    expect((await getUser(table, user.id))!.passwordHash).toBe(user.passwordHash);
  });

  it('two requests racing with one token: exactly one spends it', async () => {
    const { user } = await registered();
    await saveEmailToken(table, { hash: 'c'.repeat(64), purpose: 'reset', userId: user.id, email: user.email, expiresAt: seconds() + 900 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => spendResetToken(table, 'c'.repeat(64), seconds(), `hash-${i}`)));
    expect(results.filter((result) => result === user.id)).toHaveLength(1);
    expect((await getUser(table, user.id))!.credVersion).toBe(user.credVersion + 1);
  });

  it('users stored before verification existed read as unverified', async () => {
    const id = crypto.randomUUID();
    const name = uniqueName('old');
    await table.client.send(
      new PutCommand({
        TableName: table.name,
        Item: {
          ...itemKeys.user(id),
          type: 'user',
          id,
          username: name,
          email: `${name}@example.com`,
          passwordHash: 'x',
          roles: ['user'],
          createdAt: clock.toISOString(),
        },
      }),
    );
    expect((await getUser(table, id))!.emailVerified).toBe(false);
  });
});

describe('per-address mail quota', () => {
  it('allows one mail a minute and five an hour; refused requests do not count', async () => {
    const address = `${uniqueName('quota')}@example.com`;
    const start = seconds();
    const take = (at: number) => takeMailQuota(table, address, start + at);
    expect(await take(0)).toBe(true);
    expect(await take(59)).toBe(false);
    expect(await take(60)).toBe(true);
    expect(await take(61)).toBe(false);
    expect(await take(120)).toBe(true);
    expect(await take(180)).toBe(true);
    expect(await take(240)).toBe(true);
    // Five in the hour that started at 0.
    expect(await take(300)).toBe(false);
    expect(await take(MAIL_QUOTA.hourSeconds - 1)).toBe(false);
    // The hour is over: a new one starts with this mail.
    expect(await take(MAIL_QUOTA.hourSeconds)).toBe(true);
    expect(await take(MAIL_QUOTA.hourSeconds + 30)).toBe(false);
  });
});

describe('the mailer', () => {
  it('mails a reset link for a known address, nothing for an unknown one, and keeps to the quota', async () => {
    const { user } = await registered();
    sent.length = 0;
    expect(await deliverMail(mailer, { kind: 'reset-password', email: `${uniqueName('ghost')}@example.com` })).toBe('no-such-user');
    expect(await deliverMail(mailer, { kind: 'reset-password', email: user.email.toUpperCase() })).toBe('sent');
    expect(await deliverMail(mailer, { kind: 'reset-password', email: user.email })).toBe('quota');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: user.email, subject: 'Reset your Test Product password' });
    expect(sent[0]!.text).toContain('https://app.example.com/reset-password#token=');
    // Only the token's hash is stored.
    expect(await spendResetToken(table, tokenIn(sent[0]!), seconds(), 'new-hash')).toBeUndefined();
    expect(await spendResetToken(table, hashOpaqueToken(tokenIn(sent[0]!)), seconds(), 'new-hash')).toBe(user.id);
  });

  it('sends no verification link to a verified address', async () => {
    const { user } = await registered();
    sent.length = 0;
    expect(await deliverMail(mailer, { kind: 'verify-email', userId: user.id })).toBe('sent');
    expect(await spendVerifyToken(table, hashOpaqueToken(tokenIn(sent[0]!)), seconds())).toBe(user.id);
    expect(await deliverMail(mailer, { kind: 'verify-email', userId: user.id })).toBe('already-verified');
    expect(await deliverMail(mailer, { kind: 'resend-verification', email: user.email })).toBe('already-verified');
    expect(sent).toHaveLength(1);
  });
});

describe('what the mailer sends to an address nobody has proved', () => {
  it("counts sign-up's link against the address's quota, like the resend after it", async () => {
    const { user } = await registered();
    sent.length = 0;
    const later = (ms: number) => ({ ...mailer, now: () => new Date(clock.getTime() + ms) });
    expect(await deliverMail(mailer, { kind: 'verify-email', userId: user.id })).toBe('sent');
    expect(await deliverMail(later(59_000), { kind: 'resend-verification', email: user.email })).toBe('quota');
    expect(await deliverMail(later(60_000), { kind: 'resend-verification', email: user.email })).toBe('sent');
    expect(sent.map((message) => message.subject)).toEqual(['Confirm your email address for Test Product', 'Confirm your email address for Test Product']);
  });

  it('greets by username only once the address is verified', async () => {
    const { user } = await registered();
    sent.length = 0;
    const later = (ms: number) => ({ ...mailer, now: () => new Date(clock.getTime() + ms) });
    await deliverMail(mailer, { kind: 'verify-email', userId: user.id });
    await deliverMail(later(60_000), { kind: 'reset-password', email: user.email });
    await deliverMail(mailer, { kind: 'password-changed', userId: user.id });
    expect(sent).toHaveLength(3);
    for (const message of sent) {
      expect(message.text).toMatch(/^Hello,\n/);
      expect(`${message.subject} ${message.text} ${message.html}`).not.toContain(user.username);
    }
    expect(await spendVerifyToken(table, hashOpaqueToken(tokenIn(sent[0]!)), seconds())).toBe(user.id);
    sent.length = 0;
    await deliverMail(later(120_000), { kind: 'reset-password', email: user.email });
    await deliverMail(mailer, { kind: 'password-changed', userId: user.id });
    expect(sent).toHaveLength(2);
    for (const message of sent) expect(message.text).toMatch(new RegExp(`^Hello ${user.username},\n`));
  });
});

describe('account operations that cause mail', () => {
  it('sign-up asks for a verification link; a password change for a notice', async () => {
    mail.jobs.length = 0;
    const { input, user } = await registered();
    expect(mail.jobs).toEqual([{ kind: 'verify-email', userId: user.id }]);
    await changePassword(
      deps,
      { userId: user.id, roles: ['user'], sessionId: 'none' },
      { currentPassword: input.password, newPassword: 'another password' },
      OWN_IP,
    );
    expect(mail.jobs.at(-1)).toEqual({ kind: 'password-changed', userId: user.id });
  });

  it("withholds sign-up's link past the per-IP mail limit, but creates the account", async () => {
    const limited: MailingDeps = {
      ...deps,
      client: { userAgent: 'jest', ip: `203.0.113.${randomBytes(3).join('.')}` },
      config: { ...testAccountConfig, emailIpThreshold: 3, emailIpWindowSeconds: 60 },
    };
    mail.jobs.length = 0;
    const inputs = Array.from({ length: 4 }, () => newUser('it_mailip'));
    for (const input of inputs) await signUp(limited, input, undefined);
    const users = await Promise.all(inputs.map((input) => findUserByUsername(table, input.username)));
    expect(users.every(Boolean)).toBe(true);
    expect(mail.jobs).toEqual(users.slice(0, 3).map((user) => ({ kind: 'verify-email', userId: user!.id })));
    // The same counter as forgot and resend: they are refused now too.
    await expect(requestMail(limited, { kind: 'resend-verification', email: inputs[3]!.email })).rejects.toMatchObject({ status: 429 });
  });

  it('REQUIRE_VERIFIED_EMAIL refuses an unverified address only after a correct password', async () => {
    const strict = { ...deps, config: { ...deps.config, requireVerifiedEmail: true } };
    const { input, user } = await registered();
    await expect(signIn(strict, { username: input.username, password: 'wrong password' })).rejects.toThrow(InvalidCredentialsError);
    await expect(signIn(strict, { username: input.username, password: input.password })).rejects.toThrow(new ForbiddenError('Email is not verified!'));
    await saveEmailToken(table, { hash: 'd'.repeat(64), purpose: 'verify', userId: user.id, email: user.email, expiresAt: seconds() + 60 });
    expect(await spendVerifyToken(table, 'd'.repeat(64), seconds())).toBe(user.id);
    expect(await signIn(strict, { username: input.username, password: input.password })).toHaveProperty('accessToken');
  });
});

describe('spending an emailed link (lib/account/email-links.ts)', () => {
  /** A fresh token of `purpose` for the user, as the mailer would have sent it (only its hash is stored). */
  async function mailed(user: { id: string; email: string }, purpose: 'reset' | 'verify') {
    const token = randomBytes(32).toString('base64url');
    await saveEmailToken(table, { hash: hashOpaqueToken(token), purpose, userId: user.id, email: user.email, expiresAt: seconds() + 900 });
    return token;
  }
  const refusal = (attempt: Promise<unknown>) =>
    attempt.then(
      () => 'done',
      (error: { status: number; message: string }) => `${error.status} ${error.message}`,
    );
  /** Deps with an address of their own, so the per-IP reset limit is this test's alone. */
  const fromOwnAddress = (config: Partial<MailingDeps['config']> = {}): MailingDeps => ({
    ...deps,
    client: { userAgent: 'jest', ip: `198.18.${randomBytes(2).join('.')}` },
    mail: recordingMailQueue(),
    config: { ...testAccountConfig, ...config },
  });

  it('a reset sets the new password, ends every session, clears the username lockout and mails a notice; the token is spent', async () => {
    const { input, user } = await registered();
    const session = await signIn(deps, input);
    if ('mfaRequired' in session) throw new Error('unexpected MFA challenge');
    // Lock the username out with wrong passwords (threshold 5: the sixth attempt is refused unchecked).
    for (let i = 0; i < 6; i++) await signIn(deps, { ...input, password: 'wrong password!' }).catch(() => undefined);
    expect(await refusal(signIn(deps, input))).toBe('429 Too many sign-in attempts. Please try again later.');
    const resetting = fromOwnAddress();
    const token = await mailed(user, 'reset');
    await resetPassword(resetting, { token, newPassword: 'a brand new password' });
    expect((await listSessionItems(table, user.id)).map((item) => item.revokedAt)).toEqual([clock.toISOString()]);
    expect(await refusal(signIn(deps, input))).toBe('401 Invalid username or password!');
    expect('accessToken' in (await signIn(deps, { ...input, password: 'a brand new password' }))).toBe(true);
    expect((resetting.mail as ReturnType<typeof recordingMailQueue>).jobs).toEqual([{ kind: 'password-changed', userId: user.id }]);
    expect(await refusal(resetPassword(resetting, { token, newPassword: 'yet another password' }))).toBe('400 Reset token is invalid or has expired.');
  });

  it('a reset token of the wrong form or purpose is refused, and reset attempts count against the address', async () => {
    const { user } = await registered();
    const resetting = fromOwnAddress({ lockoutIpThreshold: 3 });
    const verifyToken = await mailed(user, 'verify');
    expect(await refusal(resetPassword(resetting, { token: `${verifyToken}x`, newPassword: 'a brand new password' }))).toBe(
      '400 Reset token is invalid or has expired.',
    );
    expect(await refusal(resetPassword(resetting, { token: verifyToken, newPassword: 'a brand new password' }))).toBe(
      '400 Reset token is invalid or has expired.',
    );
    expect((await getUser(table, user.id))!.passwordHash).toBe(user.passwordHash);
    await resetPassword(resetting, { token: await mailed(user, 'reset'), newPassword: 'a brand new password' });
    expect(await refusal(resetPassword(resetting, { token: await mailed(user, 'reset'), newPassword: 'a brand new password' }))).toBe(
      '429 Too many sign-in attempts. Please try again later.',
    );
  });

  it('verification marks the address verified once; a reset token or a malformed one verifies nothing', async () => {
    const { user } = await registered();
    expect(user.emailVerified).toBe(false);
    const resetToken = await mailed(user, 'reset');
    expect(await refusal(verifyEmail(deps, { token: resetToken }))).toBe('400 Verification token is invalid or has expired.');
    const token = await mailed(user, 'verify');
    expect(await refusal(verifyEmail(deps, { token: token.slice(1) }))).toBe('400 Verification token is invalid or has expired.');
    expect((await getUser(table, user.id))!.emailVerified).toBe(false);
    await verifyEmail(deps, { token });
    expect((await getUser(table, user.id))!.emailVerified).toBe(true);
    expect(await refusal(verifyEmail(deps, { token }))).toBe('400 Verification token is invalid or has expired.');
    // Recorded as a verification, not as an email change (the same endpoint spends both links).
    const { events } = await listEvents(table, user.id, 5, undefined, new Uint8Array(32));
    expect(events.map((event) => event.type)).toEqual(['email.verify']);
  });

  it('a token not of the mailed form (43 base64url characters) is refused unread: no token is looked up', async () => {
    const { user } = await registered();
    const { table: recorded, sent } = recording();
    const looksUpTokens = () => sent.filter((command) => String((command.input.Key as { pk?: string } | undefined)?.pk).startsWith('EMAILTOKEN#'));
    const token = await mailed(user, 'reset');
    const malformed = [`${token}=`, token.slice(1), `${token.slice(0, 42)}+`];
    for (const bad of malformed) {
      expect(await refusal(resetPassword({ ...fromOwnAddress(), table: recorded }, { token: bad, newPassword: 'a brand new password' }))).toBe(
        '400 Reset token is invalid or has expired.',
      );
      expect(await refusal(verifyEmail({ ...deps, table: recorded }, { token: bad }))).toBe('400 Verification token is invalid or has expired.');
    }
    expect(looksUpTokens()).toEqual([]);
    // The well-formed token is looked up (so the check above is not vacuous), and spent.
    await resetPassword({ ...fromOwnAddress(), table: recorded }, { token, newPassword: 'a brand new password' });
    expect(looksUpTokens().map((command) => command.name)).toEqual(['GetCommand']);
  });
});
