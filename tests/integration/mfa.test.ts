import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { confirmTotp, disableTotp, MFA_TOKEN_MAX_FAILURES, regenerateRecoveryCodes, resetUserMfa, setupTotp, verifySecondFactor } from '../../lib/account/mfa';
import { changePassword } from '../../lib/account/password';
import { signIn } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps, SecondFactorDeps } from '../../lib/account/types';
import { issueMfaToken, MFA_TOKEN_TTL_SECONDS, verifyAccessToken, verifyMfaToken } from '../../lib/access/tokens';
import { epochSeconds } from '../../lib/shared/clock';
import { type HttpError, UnauthorizedError } from '../../lib/shared/errors';
import { isSessionLive } from '../../lib/store/live-session';
import { listEvents } from '../../lib/store/events';
import { itemKeys } from '../../lib/store/item-keys';
import { createChallenge, getChallenge, getMfaState } from '../../lib/store/mfa';
import { getSessionWithUser, listSessionItems } from '../../lib/store/sessions';
import { createTable } from '../../lib/store/table';
import { changeCredentials, changeRoles, findUserByUsername, getUser } from '../../lib/store/users';
import { hashPassword, verifyPassword } from '../../lib/shared/passwords';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { changingBefore, changingBetween, interceptedTable, readsMfaState, readsUser, writesProfile, writesSession } from '../support/injection';
import { recordingMailQueue } from '../support/mail';
import { testKeySet } from '../support/keys';

// The second step of an MFA sign-in against the real DynamoDB Local. The one mock: a table client that
// runs a credentials change just before a write (fault injection, tests/support/injection.ts), to hit
// the window between a check and its write deterministically, which HTTP cannot.
let deps: SecondFactorDeps & MailingDeps;
const client = { userAgent: 'jest', ip: '127.0.0.1' };

beforeAll(async () => {
  deps = {
    table: createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT }),
    keys: (await testKeySet()).keys,
    now: () => new Date(),
    client,
    mail: recordingMailQueue(),
    config: testAccountConfig,
  };
});

afterAll(() => deps.table.client.destroy());

/** A user with MFA on (set up and confirmed as an authenticator app would), and its recovery codes. */
async function enrolled() {
  const input = newUser('itmfa');
  await signUp(deps, input, undefined);
  const first = await signIn(deps, input);
  if ('mfaRequired' in first) throw new Error('unexpected MFA challenge');
  const caller = await verifyAccessToken(deps.keys, first.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: deps.now() });
  const { secret } = await setupTotp(deps, caller, input.password, client.ip);
  const { recoveryCodes } = await confirmTotp(deps, caller, new TOTP({ secret: Secret.fromBase32(secret) }).generate());
  return { input, user: (await findUserByUsername(deps.table, input.username))!, recoveryCodes };
}

describe('MFA verify racing a credentials change', () => {
  it.each([
    ['a password change', async (userId: string) => changeCredentials(deps.table, userId, { passwordHash: await hashPassword('the owner changed it', 4) })],
    ['a role change', (userId: string) => changeRoles(deps.table, userId, ['user', 'moderator'])],
  ])('%s committed between the check and the session write: 401 expired, no session', async (_, change) => {
    const { input, user, recoveryCodes } = await enrolled();
    const started = await signIn(deps, input);
    if (!('mfaRequired' in started)) throw new Error('expected an MFA challenge');
    const before = (await listSessionItems(deps.table, user.id)).length;

    const table = changingBefore(deps.table, writesSession, () => change(user.id));
    const attempt = verifySecondFactor({ ...deps, table }, { mfaToken: started.mfaToken, recoveryCode: recoveryCodes[0]! });
    await expect(attempt).rejects.toThrow(UnauthorizedError);
    await expect(attempt).rejects.toThrow('MFA session expired. Please sign in again.');
    expect(table.injected).toBe(1);
    expect(await listSessionItems(deps.table, user.id)).toHaveLength(before);
  });
});

// Found by the model run (issue 28, seed 1122098773): an admin's reset read the user's credentials
// version, then wrote MFA off only while it was unchanged, and answered a change committed in between
// "404 User not found." for a user who exists.
describe("an admin's MFA reset racing a credentials change", () => {
  it.each([
    ['a role change', (userId: string) => changeRoles(deps.table, userId, ['user', 'moderator'])],
    ['a password change', async (userId: string) => changeCredentials(deps.table, userId, { passwordHash: await hashPassword('the owner changed it', 4) })],
  ])('%s committed just before the reset writes: the reset still turns MFA off and ends every session', async (_, change) => {
    const { input, user } = await enrolled();
    const table = changingBefore(deps.table, writesProfile(user.id), () => change(user.id));
    await expect(resetUserMfa({ ...deps, table }, user.id, randomUUID())).resolves.toBeUndefined();
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, user.id)).toMatchObject({ enabled: false, secret: undefined });
    // Two credentials changes: the one injected and the reset's own.
    expect((await findUserByUsername(deps.table, input.username))!.credVersion).toBe(user.credVersion + 2);
    const sessions = await listSessionItems(deps.table, user.id);
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.filter((session) => !session.revokedAt)).toEqual([]);
  });
});

describe('MFA enrolment, sign-in and turning it off, on a clock of the test', () => {
  let clock = new Date('2026-03-01T12:00:00Z');
  const clocked = () => ({ ...deps, now: () => clock });
  const codeAt = (secret: string, at: Date) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at.getTime() });
  const later = (seconds: number) => (clock = new Date(clock.getTime() + seconds * 1000));
  const amrOf = (token: string) => decodeJwt(token).amr;

  async function signedIn() {
    const input = newUser('itmfa');
    await signUp(clocked(), input, undefined);
    const first = await signIn(clocked(), input);
    if ('mfaRequired' in first) throw new Error('unexpected MFA challenge');
    const caller = await verifyAccessToken(deps.keys, first.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock });
    return { input, caller, userId: caller.userId };
  }

  /** Set up and confirmed on the test's clock: the secret, the recovery codes, and the enrolling session. */
  async function enrolledAt() {
    const { input, caller, userId } = await signedIn();
    const { secret, otpauthUrl } = await setupTotp(clocked(), caller, input.password, client.ip);
    expect(otpauthUrl).toContain(`secret=${secret}`);
    const { recoveryCodes } = await confirmTotp(clocked(), caller, codeAt(secret, clock));
    return { input, caller, userId, secret, recoveryCodes };
  }

  async function challenge(input: { username: string; password: string }) {
    const started = await signIn(clocked(), input);
    if (!('mfaRequired' in started)) throw new Error('expected an MFA challenge');
    expect(started.methods).toEqual(['totp', 'recovery']);
    return started.mfaToken;
  }

  const refusal = (attempt: Promise<unknown>) =>
    attempt.then(
      () => 'accepted',
      (error: HttpError) => `${error.status} ${error.message}`,
    );

  it('setup needs the right password and MFA off; confirm needs a pending setup and a right code', async () => {
    const { input, caller } = await signedIn();
    expect(await refusal(confirmTotp(clocked(), caller, '123456'))).toBe('400 No MFA setup to confirm. Start with /api/auth/mfa/totp/setup.');
    expect(await refusal(setupTotp(clocked(), caller, 'not the password', client.ip))).toBe('401 Current password is incorrect!');
    const { secret } = await setupTotp(clocked(), caller, input.password, client.ip);
    const wrong = String((Number(codeAt(secret, clock)) + 1) % 1_000_000).padStart(6, '0');
    expect(await refusal(confirmTotp(clocked(), caller, wrong))).toBe('400 Invalid code!');
    // A code from two steps ago is outside the one step of skew.
    expect(await refusal(confirmTotp(clocked(), caller, codeAt(secret, new Date(clock.getTime() - 60_000))))).toBe('400 Invalid code!');
    await confirmTotp(clocked(), caller, codeAt(secret, clock));
    expect(await refusal(confirmTotp(clocked(), caller, codeAt(secret, clock)))).toBe('400 MFA is already enabled. Turn it off first.');
    expect(await refusal(setupTotp(clocked(), caller, input.password, client.ip))).toBe('400 MFA is already enabled. Turn it off first.');
    expect(await getMfaState(deps.table, caller.userId)).toMatchObject({ enabled: true });
  });

  it('confirming ends the other sessions of the user, not the enrolling one', async () => {
    const { input, caller, userId } = await signedIn();
    const other = await signIn(clocked(), input);
    if ('mfaRequired' in other) throw new Error('unexpected MFA challenge');
    const { secret } = await setupTotp(clocked(), caller, input.password, client.ip);
    await confirmTotp(clocked(), caller, codeAt(secret, clock));
    const sessions = await listSessionItems(deps.table, userId);
    expect(sessions).toHaveLength(2);
    const live = await Promise.all(
      sessions.map(async (session) => [session.sessionId, await getSessionWithUser(deps.table, userId, session.sessionId)] as const),
    );
    expect(live.filter(([, found]) => found && isSessionLive(found.session, found.user, epochSeconds(clock))).map(([id]) => id)).toEqual([caller.sessionId]);
  });

  it('a TOTP code signs in once (amr pwd otp mfa); a replayed or older code is refused and counts against the challenge', async () => {
    const { input, secret } = await enrolledAt();
    later(30);
    const code = codeAt(secret, clock);
    const signed = await verifySecondFactor(clocked(), { mfaToken: await challenge(input), code });
    expect(amrOf(signed.accessToken)).toEqual(['pwd', 'otp', 'mfa']);
    const again = await challenge(input);
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken: again, code }))).toBe('401 Invalid code!');
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken: again, code: codeAt(secret, new Date(clock.getTime() - 30_000)) }))).toBe(
      '401 Invalid code!',
    );
    later(30);
    expect(amrOf((await verifySecondFactor(clocked(), { mfaToken: again, code: codeAt(secret, clock) })).accessToken)).toEqual(['pwd', 'otp', 'mfa']);
    // The challenge is spent by its success.
    later(30);
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken: again, code: codeAt(secret, clock) }))).toBe(
      '401 MFA session expired. Please sign in again.',
    );
  });

  it('a recovery code signs in once (amr pwd mfa), in any case and without dashes', async () => {
    const { input, recoveryCodes } = await enrolledAt();
    const [code] = recoveryCodes as [string];
    const signed = await verifySecondFactor(clocked(), { mfaToken: await challenge(input), recoveryCode: code.toLowerCase().replace(/-/g, '') });
    expect(amrOf(signed.accessToken)).toEqual(['pwd', 'mfa']);
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken: await challenge(input), recoveryCode: code }))).toBe('401 Invalid code!');
    expect(amrOf((await verifySecondFactor(clocked(), { mfaToken: await challenge(input), recoveryCode: recoveryCodes[1]! })).accessToken)).toEqual([
      'pwd',
      'mfa',
    ]);
  });

  it(`a challenge dies after ${MFA_TOKEN_MAX_FAILURES} wrong codes, and when its token expires`, async () => {
    const { input, secret, recoveryCodes } = await enrolledAt();
    const mfaToken = await challenge(input);
    for (let i = 0; i < MFA_TOKEN_MAX_FAILURES; i++)
      expect(await refusal(verifySecondFactor(clocked(), { mfaToken, code: '000000' }))).toBe('401 Invalid code!');
    later(30);
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken, code: codeAt(secret, clock) }))).toBe('401 MFA session expired. Please sign in again.');
    // Refused before any code is spent: the recovery code still works on a live challenge.
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken, recoveryCode: recoveryCodes[0]! }))).toBe('401 MFA session expired. Please sign in again.');
    await verifySecondFactor(clocked(), { mfaToken: await challenge(input), recoveryCode: recoveryCodes[0]! });
    // One wrong code fewer leaves the challenge usable (in a new lockout window: ten codes per account per window).
    later(testAccountConfig.lockoutWindowSeconds);
    const fresh = await challenge(input);
    for (let i = 0; i < MFA_TOKEN_MAX_FAILURES - 1; i++) await refusal(verifySecondFactor(clocked(), { mfaToken: fresh, code: '000000' }));
    await verifySecondFactor(clocked(), { mfaToken: fresh, code: codeAt(secret, clock) });
    // Expiry: the token's lifetime.
    const expiring = await challenge(input);
    later(MFA_TOKEN_TTL_SECONDS);
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken: expiring, code: codeAt(secret, clock) }))).toBe(
      '401 MFA session expired. Please sign in again.',
    );
  });

  it('turning MFA off needs the password, ends the other sessions, and sign-in needs no second factor again', async () => {
    const { input, caller, userId, recoveryCodes } = await enrolledAt();
    const other = await verifySecondFactor(clocked(), { mfaToken: await challenge(input), recoveryCode: recoveryCodes[0]! });
    expect(await refusal(disableTotp(clocked(), caller, 'not the password', client.ip))).toBe('401 Current password is incorrect!');
    await disableTotp(clocked(), caller, input.password, client.ip);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: false });
    const otherSession = await getSessionWithUser(
      deps.table,
      userId,
      (await verifyAccessToken(deps.keys, other.accessToken, { ...settings(), now: clock })).sessionId,
    );
    expect(otherSession && isSessionLive(otherSession.session, otherSession.user, epochSeconds(clock))).toBe(false);
    const mine = await getSessionWithUser(deps.table, userId, caller.sessionId);
    expect(mine && isSessionLive(mine.session, mine.user, epochSeconds(clock))).toBe(true);
    expect('mfaRequired' in (await signIn(clocked(), input))).toBe(false);
  });

  // Found by the model run (issue 28, seed -902423685): race[mfaOff(u0,s0) || mfaOff(u0,s0)] answered one
  // of the two 401 from a session that lived on. The other request's write is injected just before this one's.
  it('two "MFA off" from one session at once both succeed, as if one came second; the session lives on', async () => {
    const { input, caller, userId } = await enrolledAt();
    const table = changingBefore(deps.table, writesProfile(userId), () => disableTotp(clocked(), caller, input.password, client.ip));
    await disableTotp({ ...clocked(), table }, caller, input.password, client.ip);
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: false });
    const mine = await getSessionWithUser(deps.table, userId, caller.sessionId);
    expect(mine && isSessionLive(mine.session, mine.user, epochSeconds(clock))).toBe(true);
  });

  // Found by the model run (issue 28, seed 1086857622): race[mfaOff(u0,s0) || changePassword(u0,s0)]
  // answered the password change 401 though MFA off keeps the caller's session. MFA off is injected first.
  it('a password change that loses to "MFA off" from its own session is tried again as if it came second', async () => {
    const { input, caller, userId } = await enrolledAt();
    const table = changingBefore(deps.table, writesProfile(userId), () => disableTotp(clocked(), caller, input.password, client.ip));
    await changePassword({ ...clocked(), table }, caller, { currentPassword: input.password, newPassword: 'changed after mfa off' }, client.ip);
    expect(table.injected).toBe(1);
    const stored = (await findUserByUsername(deps.table, input.username))!;
    expect(await verifyPassword('changed after mfa off', stored.passwordHash)).toBe(true);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: false });
  });

  it('a password change that loses to a role change is still 401, and changes nothing', async () => {
    const { input, caller, userId } = await enrolledAt();
    const table = changingBefore(deps.table, writesProfile(userId), async () => expect(await changeRoles(deps.table, userId, ['moderator'])).toBe('done'));
    expect(await refusal(changePassword({ ...clocked(), table }, caller, { currentPassword: input.password, newPassword: 'never stored' }, client.ip))).toBe(
      '401 Unauthorized!',
    );
    expect(await verifyPassword(input.password, (await findUserByUsername(deps.table, input.username))!.passwordHash)).toBe(true);
  });

  it('"MFA off" that loses to a role change is 401, and the session the role change ended is not kept alive', async () => {
    const { input, caller, userId } = await enrolledAt();
    const table = changingBefore(deps.table, writesProfile(userId), async () => expect(await changeRoles(deps.table, userId, ['moderator'])).toBe('done'));
    expect(await refusal(disableTotp({ ...clocked(), table }, caller, input.password, client.ip))).toBe('401 Unauthorized!');
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: true });
    const mine = await getSessionWithUser(deps.table, userId, caller.sessionId);
    expect(mine && isSessionLive(mine.session, mine.user, epochSeconds(clock))).toBe(false);
  });

  it("an admin's reset turns MFA off and ends every session; an unknown user is 404", async () => {
    const { input, caller, userId } = await enrolledAt();
    await resetUserMfa(clocked(), userId, randomUUID());
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: false });
    const mine = await getSessionWithUser(deps.table, userId, caller.sessionId);
    expect(mine && isSessionLive(mine.session, mine.user, epochSeconds(clock))).toBe(false);
    expect('mfaRequired' in (await signIn(clocked(), input))).toBe(false);
    expect(await refusal(resetUserMfa(clocked(), randomUUID(), randomUUID()))).toBe('404 User not found.');
    expect(await refusal(resetUserMfa(clocked(), 'not-an-id', randomUUID()))).toBe('404 User not found.');
  });

  it('a confirm that loses to another setup (a new pending secret) is 400, and MFA stays off', async () => {
    const { input, caller, userId } = await signedIn();
    const { secret } = await setupTotp(clocked(), caller, input.password, client.ip);
    const table = changingBefore(deps.table, writesProfile(userId), () => setupTotp(clocked(), caller, input.password, client.ip));
    expect(await refusal(confirmTotp({ ...clocked(), table }, caller, codeAt(secret, clock)))).toBe(
      '400 No MFA setup to confirm. Start with /api/auth/mfa/totp/setup.',
    );
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: false, secret: undefined, recoveryCodesLeft: 0 });
    expect((await eventsOf(userId)).filter((event) => event.type === 'mfa.enable')).toEqual([]);
  });

  it('"MFA off" that loses to a password change from its own session is 401, and MFA stays on', async () => {
    const { input, caller, userId } = await enrolledAt();
    const table = changingBefore(deps.table, writesProfile(userId), () =>
      changePassword(clocked(), caller, { currentPassword: input.password, newPassword: 'changed before mfa off' }, client.ip),
    );
    expect(await refusal(disableTotp({ ...clocked(), table }, caller, input.password, client.ip))).toBe('401 Unauthorized!');
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
  });

  it('"MFA off" removes the secret, the recovery codes and the spent step, and bumps the credentials version', async () => {
    const { input, caller, userId } = await enrolledAt();
    const before = (await getMfaState(deps.table, userId))!;
    await disableTotp(clocked(), caller, input.password, client.ip);
    expect(await getMfaState(deps.table, userId)).toEqual({
      enabled: false,
      secret: undefined,
      pending: undefined,
      recoveryCodesLeft: 0,
      credVersion: before.credVersion + 1,
    });
    expect((await profileItem(userId)).totpLastStep).toBeUndefined();
  });

  it('renewing recovery codes with MFA off is 400 and writes nothing', async () => {
    const { input, caller, userId } = await signedIn();
    const writes: unknown[] = [];
    const table = interceptedTable(deps.table, async (command) => {
      if (writesProfile(userId)(command)) writes.push(command);
    });
    expect(await refusal(regenerateRecoveryCodes({ ...clocked(), table }, caller, input.password, client.ip))).toBe(
      '400 MFA is not enabled. Turn it on first.',
    );
    expect(writes).toEqual([]);
  });

  it('renewing recovery codes that loses to a role change is 401, and the old codes stay', async () => {
    const { input, caller, userId, recoveryCodes } = await enrolledAt();
    const table = changingBefore(deps.table, writesProfile(userId), async () => expect(await changeRoles(deps.table, userId, ['moderator'])).toBe('done'));
    expect(await refusal(regenerateRecoveryCodes({ ...clocked(), table }, caller, input.password, client.ip))).toBe('401 Unauthorized!');
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    await verifySecondFactor(clocked(), { mfaToken: await challenge(input), recoveryCode: recoveryCodes[0]! });
  });

  it("an admin's reset is recorded with the admin as actor, and with none when the admin resets their own", async () => {
    const other = await enrolledAt();
    const adminId = randomUUID();
    await resetUserMfa(clocked(), other.userId, adminId);
    expect((await eventsOf(other.userId)).filter((event) => event.type === 'mfa.reset')).toEqual([expect.objectContaining({ actor: adminId })]);
    const own = await enrolledAt();
    await resetUserMfa(clocked(), own.userId, own.userId);
    const [reset, ...more] = (await eventsOf(own.userId)).filter((event) => event.type === 'mfa.reset');
    expect(more).toEqual([]);
    expect(reset).toBeDefined();
    expect(reset).not.toHaveProperty('actor');
  });

  it("an mfaToken naming another user's challenge is expired, and spends neither the code nor the challenge", async () => {
    const mallory = await enrolledAt();
    const alice = await enrolledAt();
    // The same credentials version: only the challenge's owner tells them apart.
    expect((await getUser(deps.table, alice.userId))!.credVersion).toBe((await getUser(deps.table, mallory.userId))!.credVersion);
    later(30);
    const alicesToken = await challenge(alice.input);
    const { challengeId } = (await verifyMfaToken(deps.keys, alicesToken, { ...settings(), now: clock }))!;
    const crossed = await issueMfaToken(deps.keys, { userId: mallory.userId, challengeId }, { ...settings(), now: clock, ttlSeconds: MFA_TOKEN_TTL_SECONDS });
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken: crossed, code: codeAt(mallory.secret, clock) }))).toBe(
      '401 MFA session expired. Please sign in again.',
    );
    expect(await getChallenge(deps.table, challengeId)).toMatchObject({ userId: alice.userId, failures: 0 });
    await verifySecondFactor(clocked(), { mfaToken: await challenge(mallory.input), code: codeAt(mallory.secret, clock) });
    await verifySecondFactor(clocked(), { mfaToken: alicesToken, code: codeAt(alice.secret, clock) });
  });

  it('a challenge is dead from its own expiresAt on, whatever its token says', async () => {
    const { userId, secret } = await enrolledAt();
    later(30);
    const user = (await getUser(deps.table, userId))!;
    const tokenFor = async (expiresAt: number) => {
      const challengeId = randomUUID();
      await createChallenge(deps.table, { challengeId, userId, credVersion: user.credVersion, failures: 0, expiresAt, firstFactor: 'pwd' });
      return issueMfaToken(deps.keys, { userId, challengeId }, { ...settings(), now: clock, ttlSeconds: MFA_TOKEN_TTL_SECONDS });
    };
    const atExpiry = await tokenFor(epochSeconds(clock));
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken: atExpiry, code: codeAt(secret, clock) }))).toBe(
      '401 MFA session expired. Please sign in again.',
    );
    const aSecondBefore = await tokenFor(epochSeconds(clock) + 1);
    expect(amrOf((await verifySecondFactor(clocked(), { mfaToken: aSecondBefore, code: codeAt(secret, clock) })).accessToken)).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('a challenge started before a credentials change is expired before any code is spent or counted', async () => {
    const { input, userId, secret, recoveryCodes } = await enrolledAt();
    later(30);
    const mfaToken = await challenge(input);
    const { challengeId } = (await verifyMfaToken(deps.keys, mfaToken, { ...settings(), now: clock }))!;
    expect(await changeRoles(deps.table, userId, ['moderator'])).toBe('done');
    const lastStep = (await profileItem(userId)).totpLastStep;
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken, recoveryCode: recoveryCodes[0]! }))).toBe('401 MFA session expired. Please sign in again.');
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken, code: codeAt(secret, clock) }))).toBe('401 MFA session expired. Please sign in again.');
    expect(await refusal(verifySecondFactor(clocked(), { mfaToken, code: '000000' }))).toBe('401 MFA session expired. Please sign in again.');
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    expect((await profileItem(userId)).totpLastStep).toBe(lastStep);
    expect(await getChallenge(deps.table, challengeId)).toMatchObject({ failures: 0 });
    expect((await eventsOf(userId)).filter((event) => event.type === 'mfa.failure')).toEqual([]);
  });

  // The profile is read twice at once (the user, and its MFA state): a change committed between the two
  // reads leaves one of them on the challenge's version. Either one differing ends the challenge.
  it.each([
    ['the user read after it, the MFA state before', (userId: string) => [readsMfaState(userId), readsUser(userId)] as const],
    ['the MFA state read after it, the user before', (userId: string) => [readsUser(userId), readsMfaState(userId)] as const],
  ])('a credentials change between the two reads of the profile (%s) is expired, and the recovery code is not spent', async (_, order) => {
    const { input, userId, recoveryCodes } = await enrolledAt();
    const mfaToken = await challenge(input);
    const [first, second] = order(userId);
    const table = changingBetween(deps.table, first, second, async () => expect(await changeRoles(deps.table, userId, ['moderator'])).toBe('done'));
    expect(await refusal(verifySecondFactor({ ...clocked(), table }, { mfaToken, recoveryCode: recoveryCodes[0]! }))).toBe(
      '401 MFA session expired. Please sign in again.',
    );
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
  });

  const settings = () => ({ issuer: deps.config.issuer, audience: deps.config.audience });
  const eventsOf = async (userId: string) => (await listEvents(deps.table, userId, 50, undefined, new Uint8Array(32))).events;
  const profileItem = async (userId: string) =>
    (await deps.table.client.send(new GetCommand({ TableName: deps.table.name, Key: itemKeys.user(userId), ConsistentRead: true }))).Item ?? {};
});
