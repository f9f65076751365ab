import { randomBytes } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { hashOpaqueToken } from '../../lib/access/tokens';
import { requestEmailChange } from '../../lib/account/email-change';
import { resetPassword, verifyEmail } from '../../lib/account/email-links';
import { deliverMail, type MailerDeps } from '../../lib/account/mail-delivery';
import { changePassword } from '../../lib/account/password';
import { checkCredentials } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps } from '../../lib/account/types';
import type { MailJob } from '../../lib/email/queue';
import type { EmailMessage } from '../../lib/email/templates';
import { epochSeconds } from '../../lib/shared/clock';
import { BadRequestError, EmailTakenError, InvalidCredentialsError, UnauthorizedError } from '../../lib/shared/errors';
import { listEvents } from '../../lib/store/events';
import { saveEmailToken } from '../../lib/store/email-tokens';
import { itemKeys } from '../../lib/store/item-keys';
import { createTable } from '../../lib/store/table';
import { findUserByEmail, findUserByUsername, getUser, type User } from '../../lib/store/users';
import { testAccountConfig } from '../support/account-config';
import { newUser, uniqueName } from '../support/data';
import { interceptedTable, writesProfile } from '../support/injection';
import { forgetMailQuota, recordingMailQueue } from '../support/mail';

// Changing one's email against DynamoDB Local: the request (password, checks, the mail job), the
// mailer's two mails (recorded at the SES boundary), and the spending of the link by the verify flow.
const table = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

const sent: EmailMessage[] = [];
const mailer: MailerDeps = {
  table,
  now: () => new Date(),
  send: async (message) => {
    sent.push(message);
  },
  config: { productName: 'Test Product', appUrl: 'https://app.example.com', resetTokenTtlSeconds: 900, verifyTokenTtlSeconds: 86_400 },
};

/** Deps from an address of their own (the per-IP limits meet no other test), with a queue of their own. */
function depsFromFreshIp(): MailingDeps & { mail: ReturnType<typeof recordingMailQueue> } {
  return {
    table,
    now: () => new Date(),
    client: { userAgent: 'jest', ip: `192.0.${randomBytes(2).join('.')}` },
    config: testAccountConfig,
    mail: recordingMailQueue(),
  };
}

const newAddress = () => `${uniqueName('moved')}@example.org`;
const claims = (user: User) => ({ userId: user.id, roles: user.roles, sessionId: 'not-a-session' });
const tokenIn = (message: EmailMessage) => /#token=([A-Za-z0-9_-]{43})/.exec(message.text)![1]!;

async function registered(prefix = 'chg') {
  const input = newUser(prefix);
  const deps = depsFromFreshIp();
  await signUp(deps, input, undefined);
  return { input, user: (await findUserByUsername(table, input.username))!, signUpJobs: deps.mail.jobs };
}

/** Asks for the change and runs the mailer on its job: the two mails it sent (notice, link) and the link's token. */
async function requested(user: User, password: string, newEmail: string) {
  const deps = depsFromFreshIp();
  await requestEmailChange(deps, claims(user), { newEmail, password }, deps.client.ip);
  expect(deps.mail.jobs).toEqual([{ kind: 'email-change', userId: user.id, newEmail, credVersion: user.credVersion }]);
  const job = deps.mail.jobs[0]!;
  const from = sent.length;
  const delivery = await deliverMail(mailer, job);
  const mails = sent.slice(from);
  return { job, delivery, mails, token: delivery === 'sent' ? tokenIn(mails.find((mail) => mail.to === newEmail)!) : '' };
}

/** How spending a link ended. */
async function verified(token: string): Promise<string> {
  try {
    await verifyEmail(depsFromFreshIp(), { token });
    return 'changed';
  } catch (error) {
    if (error instanceof EmailTakenError) return 'taken';
    if (error instanceof BadRequestError) return 'invalid';
    throw error;
  }
}

describe('changing the email address', () => {
  it('mails a link to the new address and a notice to the old one; only the link changes the address, once', async () => {
    const { input, user } = await registered();
    const to = newAddress();
    const { delivery, mails, token } = await requested(user, input.password, to);
    expect(delivery).toBe('sent');
    expect(mails.map((mail) => [mail.to, mail.subject])).toEqual([
      [input.email, 'Your Test Product email address is being changed'],
      [to, 'Confirm your new email address for Test Product'],
    ]);
    expect(mails[0]!.text).toContain(`m***@example.org`);
    expect(mails[0]!.text).not.toContain(to);
    expect(mails[0]!.text).not.toMatch(/#token=/);
    expect(mails[1]!.text).toContain('https://app.example.com/verify-email#token=');
    expect(mails[1]!.text).not.toContain(input.username);

    // Nothing changed yet: the old address signs in, the new one names nobody.
    expect((await getUser(table, user.id))!.email).toBe(input.email);
    expect(await findUserByEmail(table, to)).toBeUndefined();

    expect(await verified(token)).toBe('changed');
    const after = (await getUser(table, user.id))!;
    expect(after).toMatchObject({ email: to, emailVerified: true, credVersion: user.credVersion });
    expect((await findUserByEmail(table, to.toUpperCase()))?.id).toBe(user.id);
    expect(await findUserByEmail(table, input.email)).toBeUndefined();
    expect((await checkCredentials(depsFromFreshIp(), { username: to, password: input.password })).id).toBe(user.id);
    await expect(checkCredentials(depsFromFreshIp(), { username: input.email, password: input.password })).rejects.toThrow(InvalidCredentialsError);
    const { events } = await listEvents(table, user.id, 5, undefined, new Uint8Array(32));
    expect(events.map((event) => event.type)).toContain('email.change');
    // Single use.
    expect(await verified(token)).toBe('invalid');
  });

  it('kills the reset link and the verification link mailed to the old address', async () => {
    const { input, user, signUpJobs } = await registered();
    expect(await deliverMail(mailer, signUpJobs[0]!)).toBe('sent');
    const verifyLink = tokenIn(sent.at(-1)!);
    await forgetMailQuota(table, input.email);
    expect(await deliverMail(mailer, { kind: 'reset-password', email: input.email })).toBe('sent');
    const resetLink = tokenIn(sent.at(-1)!);
    const { token } = await requested(user, input.password, newAddress());
    expect(await verified(token)).toBe('changed');
    await expect(resetPassword(depsFromFreshIp(), { token: resetLink, newPassword: 'taken over password' })).rejects.toThrow(BadRequestError);
    expect(await verified(verifyLink)).toBe('invalid');
    expect((await checkCredentials(depsFromFreshIp(), { username: input.username, password: input.password })).id).toBe(user.id);
  });

  it('a reset link a mailer saved for the old address after the change completed does not work (review B1)', async () => {
    const { input, user } = await registered();
    const { token } = await requested(user, input.password, newAddress());
    expect(await verified(token)).toBe('changed');
    // The window: a forgot job's mailer read the profile (old address) before the change, and saves its
    // token after it. The link it mails goes to the old address, which no longer proves anything.
    const resetLink = randomBytes(32).toString('base64url');
    await saveEmailToken(table, {
      hash: hashOpaqueToken(resetLink),
      purpose: 'reset',
      userId: user.id,
      email: input.email,
      expiresAt: epochSeconds(new Date()) + 900,
    });
    await expect(resetPassword(depsFromFreshIp(), { token: resetLink, newPassword: 'taken over password' })).rejects.toThrow(BadRequestError);
    expect((await checkCredentials(depsFromFreshIp(), { username: input.username, password: input.password })).id).toBe(user.id);
  });

  it('the link dies when the password changes in between, and a job older than the change mails nothing', async () => {
    const { input, user } = await registered();
    const to = newAddress();
    const { token, job } = await requested(user, input.password, to);
    await changePassword(depsFromFreshIp(), claims(user), { currentPassword: input.password, newPassword: 'a new password here' }, undefined);
    expect(await verified(token)).toBe('invalid');
    expect((await getUser(table, user.id))!.email).toBe(input.email);
    expect(await findUserByEmail(table, to)).toBeUndefined();
    const before = sent.length;
    expect(await deliverMail(mailer, job as MailJob)).toBe('stale');
    expect(sent).toHaveLength(before);
  });

  it('the link holds the credentials version its request saw, also one past 0 (a password changed before the request)', async () => {
    const { input, user } = await registered();
    await changePassword(depsFromFreshIp(), claims(user), { currentPassword: input.password, newPassword: 'a new password here' }, undefined);
    const changed = (await getUser(table, user.id))!;
    expect(changed.credVersion).toBe(user.credVersion + 1);
    const to = newAddress();
    const { token } = await requested(changed, 'a new password here', to);
    expect(await verified(token)).toBe('changed');
    expect((await getUser(table, user.id))!).toMatchObject({ email: to, credVersion: changed.credVersion });
  });

  it('a profile stored before credentials versions existed is at version 0: its link works, a link of another version does not', async () => {
    /** A user whose profile has no credVersion attribute, as profiles stored before it existed. */
    async function unversioned() {
      const { input, user } = await registered('unver');
      await table.client.send(new UpdateCommand({ TableName: table.name, Key: itemKeys.user(user.id), UpdateExpression: 'REMOVE credVersion' }));
      return { input, user: (await getUser(table, user.id))! };
    }
    const first = await unversioned();
    expect(first.user.credVersion).toBe(0);
    const to = newAddress();
    const { token } = await requested(first.user, first.input.password, to);
    expect(await verified(token)).toBe('changed');
    expect((await getUser(table, first.user.id))!.email).toBe(to);

    // The mailer copies the version from the profile, so it mails no such link; the store's rule is
    // equality all the same, an absent version counting as 0 and nothing else.
    const second = await unversioned();
    const link = randomBytes(32).toString('base64url');
    await saveEmailToken(table, {
      hash: hashOpaqueToken(link),
      purpose: 'email-change',
      userId: second.user.id,
      email: newAddress(),
      expiresAt: epochSeconds(new Date()) + 900,
      change: { previousEmail: second.input.email, credVersion: 1 },
    });
    expect(await verified(link)).toBe('invalid');
    expect((await getUser(table, second.user.id))!.email).toBe(second.input.email);
  });

  it('a second request for the same address in other case, mailed after the first was confirmed, changes the case only', async () => {
    const { input, user } = await registered();
    const to = newAddress();
    const deps = depsFromFreshIp();
    // Both asked while the old address is current (the new one is nobody's yet, in either case).
    await requestEmailChange(deps, claims(user), { newEmail: to, password: input.password }, deps.client.ip);
    await requestEmailChange(deps, claims(user), { newEmail: to.toUpperCase(), password: input.password }, deps.client.ip);
    const [first, second] = deps.mail.jobs;
    expect(await deliverMail(mailer, first!)).toBe('sent');
    expect(await verified(tokenIn(sent.at(-1)!))).toBe('changed');
    await forgetMailQuota(table, to);
    // Mailed now, the second link replaces the address it differs from only in case.
    expect(await deliverMail(mailer, second!)).toBe('sent');
    expect(await verified(tokenIn(sent.at(-1)!))).toBe('changed');
    expect((await getUser(table, user.id))!.email).toBe(to.toUpperCase());
    // The one claim, of the normalized address, stays the user's: moving it would delete and put the same
    // item in one transaction, which DynamoDB refuses.
    expect((await findUserByEmail(table, to))?.id).toBe(user.id);
    expect((await checkCredentials(depsFromFreshIp(), { username: to, password: input.password })).id).toBe(user.id);
  });

  it('a second request replaces the first link', async () => {
    const { input, user } = await registered();
    const first = await requested(user, input.password, newAddress());
    const secondAddress = newAddress();
    const second = await requested(user, input.password, secondAddress);
    expect(await verified(first.token)).toBe('invalid');
    expect(await verified(second.token)).toBe('changed');
    expect((await getUser(table, user.id))!.email).toBe(secondAddress);
  });

  it('refuses a wrong password, the current address and a taken one, and asks for no mail then', async () => {
    const { input, user } = await registered();
    const other = await registered('other');
    const deps = depsFromFreshIp();
    const ask = (newEmail: string, password: string) => requestEmailChange(deps, claims(user), { newEmail, password }, deps.client.ip);
    await expect(ask(newAddress(), 'not the password')).rejects.toThrow(UnauthorizedError);
    await expect(ask(input.email.toUpperCase(), input.password)).rejects.toThrow(BadRequestError);
    await expect(ask(other.input.email.toUpperCase(), input.password)).rejects.toThrow(EmailTakenError);
    expect(deps.mail.jobs).toEqual([]);
  });
});

describe('racing for one address: exactly one winner', () => {
  it('two users verifying a change to the same address', async () => {
    for (let round = 0; round < 4; round++) {
      const [a, b] = await Promise.all([registered('racea'), registered('raceb')]);
      const to = newAddress();
      const forA = await requested(a.user, a.input.password, to);
      // The address's quota allows one mail a minute: the second link is let through at once.
      await forgetMailQuota(table, to);
      const forB = await requested(b.user, b.input.password, to);
      expect([forA.delivery, forB.delivery]).toEqual(['sent', 'sent']);
      const outcomes = await Promise.all([verified(forA.token), verified(forB.token)]);
      expect([...outcomes].sort()).toEqual(['changed', 'taken']);
      const winner = outcomes[0] === 'changed' ? a : b;
      const loser = winner === a ? b : a;
      expect((await findUserByEmail(table, to))?.id).toBe(winner.user.id);
      expect((await getUser(table, loser.user.id))!.email).toBe(loser.input.email);
      expect((await findUserByEmail(table, loser.input.email))?.id).toBe(loser.user.id);
    }
  });

  it('a sign-up with the address racing the verify', async () => {
    for (let round = 0; round < 4; round++) {
      const { input, user } = await registered('racesu');
      const to = newAddress();
      const { token } = await requested(user, input.password, to);
      const stranger = { ...newUser('racer'), email: to };
      const [change, signedUp] = await Promise.allSettled([verified(token), signUp(depsFromFreshIp(), stranger, undefined)]);
      expect(change.status).toBe('fulfilled');
      const changed = change.status === 'fulfilled' && change.value === 'changed';
      const registeredStranger = await findUserByUsername(table, stranger.username);
      // Exactly one holds the address; the other changed nothing.
      expect([changed, signedUp.status === 'fulfilled']).toEqual(changed ? [true, false] : [false, true]);
      expect((await findUserByEmail(table, to))?.id).toBe(changed ? user.id : registeredStranger?.id);
      if (changed) expect(registeredStranger).toBeUndefined();
      else expect((await getUser(table, user.id))!.email).toBe(input.email);
    }
  });
});

describe('a confirmation meeting another transaction on its items (TransactionConflict)', () => {
  // DynamoDB Local cannot be made to report a conflict on demand: the table answers the confirmation's
  // first `conflicts` transactions with the error DynamoDB sends then (fault injection), and passes the
  // rest through to DynamoDB Local.
  function conflicting(userId: string, conflicts: number) {
    const tries = { count: 0 };
    const deps = depsFromFreshIp();
    deps.table = interceptedTable(table, async (command) => {
      if (!writesProfile(userId)(command)) return;
      tries.count++;
      if (tries.count <= conflicts) {
        throw new TransactionCanceledException({
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
          $metadata: {},
          CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
        });
      }
    });
    return { deps, tries };
  }

  it('is tried again, up to five times in all, and then commits', async () => {
    const { input, user } = await registered();
    const to = newAddress();
    const { token } = await requested(user, input.password, to);
    const { deps, tries } = conflicting(user.id, 4);
    await verifyEmail(deps, { token });
    expect(tries.count).toBe(5);
    expect((await getUser(table, user.id))!.email).toBe(to);
    expect((await findUserByEmail(table, to))?.id).toBe(user.id);
  });

  it('gives up after the fifth with a 503, having changed nothing: the link still works', async () => {
    const { input, user } = await registered();
    const to = newAddress();
    const { token } = await requested(user, input.password, to);
    const { deps, tries } = conflicting(user.id, 5);
    await expect(verifyEmail(deps, { token })).rejects.toMatchObject({ status: 503 });
    expect(tries.count).toBe(5);
    expect((await getUser(table, user.id))!.email).toBe(input.email);
    expect(await verified(token)).toBe('changed');
  });
});
