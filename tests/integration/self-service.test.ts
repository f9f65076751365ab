import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Secret, TOTP } from 'otpauth';
import { deleteOwnAccount } from '../../lib/account/delete-account';
import { eventsPage } from '../../lib/account/events';
import { confirmTotp, disableTotp, recoveryCodesLeft, regenerateRecoveryCodes, setupTotp, verifySecondFactor } from '../../lib/account/mfa';
import { refreshSession } from '../../lib/account/refresh';
import { signIn as signInOutcome } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps, PagingDeps, SecondFactorDeps } from '../../lib/account/types';
import { verifyAccessToken } from '../../lib/access/tokens';
import { epochSeconds } from '../../lib/shared/clock';
import { type HttpError, RefreshTokenError } from '../../lib/shared/errors';
import { hashPassword } from '../../lib/shared/passwords';
import { itemKeys } from '../../lib/store/item-keys';
import { createSessionChecker } from '../../lib/store/live-session';
import { getMfaState } from '../../lib/store/mfa';
import { listSessionItems } from '../../lib/store/sessions';
import { createTable } from '../../lib/store/table';
import { changeCredentials, changeRoles, findUserByEmail, findUserByUsername, getUser, normalizeIdentifier } from '../../lib/store/users';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { changingBefore, writesSession } from '../support/injection';
import { testKeySet } from '../support/keys';
import { recordingMailQueue } from '../support/mail';

// Deleting one's own account and renewing one's recovery codes, against the real DynamoDB Local. Races
// are hit deterministically with a table client that commits the rival write just before a chosen
// command (tests/support/injection.ts); liveness is judged by the authorizer's own check.
let deps: SecondFactorDeps & MailingDeps & PagingDeps;
const mail = recordingMailQueue();
const client = { userAgent: 'jest', ip: '127.0.0.1' };
const settings = { tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT };
const isLive = createSessionChecker(settings);

beforeAll(async () => {
  deps = {
    table: createTable(settings),
    keys: { ...(await testKeySet()).keys, cursorKey: new Uint8Array(32).fill(7) },
    now: () => new Date(),
    client,
    mail,
    config: testAccountConfig,
  };
});

afterAll(() => deps.table.client.destroy());

const verifyToken = (token: string) => verifyAccessToken(deps.keys, token, { issuer: deps.config.issuer, audience: deps.config.audience, now: deps.now() });

async function signIn(input: { username: string; password: string }, table = deps.table) {
  const outcome = await signInOutcome({ ...deps, table }, input);
  if ('mfaRequired' in outcome) throw new Error('unexpected MFA challenge');
  return outcome;
}

/** A new user, signed in once: its input, its session's caller claims and refresh token. */
async function signedIn(prefix = 'itself') {
  const input = newUser(prefix);
  await signUp(deps, input, undefined);
  const first = await signIn(input);
  return { input, userId: first.user.id, caller: await verifyToken(first.accessToken), refreshToken: first.refreshToken };
}

const sessionIdOf = (refreshToken: string) => refreshToken.split('.')[1]!;
const refusal = (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'accepted',
    (error: HttpError) => `${error.status} ${error.message}`,
  );

/** The deletion's transaction: the one that deletes the profile item. */
const deletesProfile = (userId: string) => (command: unknown) =>
  command instanceof TransactWriteCommand && (command.input.TransactItems ?? []).some((item) => item.Delete?.Key?.pk === itemKeys.user(userId).pk);
/** A refresh's exchange: the conditional update of a session item. */
const exchangesToken = (command: unknown) => command instanceof UpdateCommand && String(command.input.Key?.sk).startsWith('SESSION#');

describe('deleting one’s own account', () => {
  it('a wrong password is 401 and changes nothing, and counts toward the lockout like a sign-in', async () => {
    const { input, userId, caller, refreshToken } = await signedIn();
    const counter = itemKeys.attempts('username', normalizeIdentifier(input.username));
    const before = Number((await deps.table.client.send(new GetCommand({ TableName: deps.table.name, Key: counter }))).Item?.attempts ?? 0);
    expect(await refusal(deleteOwnAccount(deps, caller, 'not the password', client.ip))).toBe('401 Current password is incorrect!');
    expect((await deps.table.client.send(new GetCommand({ TableName: deps.table.name, Key: counter }))).Item?.attempts).toBe(before + 1);
    expect(await getUser(deps.table, userId)).toBeDefined();
    expect(await isLive(userId, caller.sessionId, epochSeconds(deps.now()))).toBe(true);
    await expect(refreshSession(deps, refreshToken)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('removes the profile, frees the name and email, ends every session, and asks for the notice mail', async () => {
    const { input, userId, caller, refreshToken } = await signedIn();
    const other = await signIn(input);
    await deleteOwnAccount(deps, caller, input.password, client.ip);

    expect(await getUser(deps.table, userId)).toBeUndefined();
    expect(await findUserByUsername(deps.table, input.username)).toBeUndefined();
    expect(await listSessionItems(deps.table, userId)).toEqual([]);
    for (const token of [refreshToken, other.refreshToken]) await expect(refreshSession(deps, token)).rejects.toThrow(new RefreshTokenError('unknown'));
    for (const sessionId of [caller.sessionId, sessionIdOf(other.refreshToken)]) expect(await isLive(userId, sessionId, epochSeconds(deps.now()))).toBe(false);
    // Unverified address: the notice greets nobody by a name a stranger could have chosen.
    expect(mail.jobs).toContainEqual({ kind: 'account-deleted', email: input.email, username: undefined });
    expect((await eventsPage(deps, userId, {})).events).toEqual([]);

    // Both claims are free: a new sign-up takes them, as another user.
    await signUp(deps, { ...input, username: input.username.toUpperCase() }, undefined);
    expect((await findUserByEmail(deps.table, input.email))!.id).not.toBe(userId);
  });

  it('MFA turned off from the same session between the password check and the deletion: deleted as if it came second', async () => {
    const { input, userId, caller } = await signedIn();
    const { secret } = await setupTotp(deps, caller, input.password, client.ip);
    await confirmTotp(deps, caller, new TOTP({ secret: Secret.fromBase32(secret) }).generate());
    const table = changingBefore(deps.table, deletesProfile(userId), () => disableTotp(deps, caller, input.password, client.ip));
    await deleteOwnAccount({ ...deps, table }, caller, input.password, client.ip);
    expect(table.injected).toBe(1);
    expect(await getUser(deps.table, userId)).toBeUndefined();
  });

  it('a role change (which ends the session) between the password check and the deletion: 401, nothing deleted', async () => {
    const { input, userId, caller } = await signedIn();
    const table = changingBefore(deps.table, deletesProfile(userId), async () =>
      expect(await changeRoles(deps.table, userId, ['user', 'moderator'])).toBe('done'),
    );
    expect(await refusal(deleteOwnAccount({ ...deps, table }, caller, input.password, client.ip))).toBe('401 Unauthorized!');
    expect(table.injected).toBe(1);
    expect(await getUser(deps.table, userId)).toBeDefined();
  });

  it('a password change committed between the password check and the deletion: 401, nothing deleted', async () => {
    const { input, userId, caller } = await signedIn();
    const table = changingBefore(deps.table, deletesProfile(userId), async () =>
      expect(await changeCredentials(deps.table, userId, { passwordHash: await hashPassword('the owner changed it', 4) })).toBe(true),
    );
    expect(await refusal(deleteOwnAccount({ ...deps, table }, caller, input.password, client.ip))).toBe('401 Unauthorized!');
    expect(table.injected).toBe(1);
    expect(await findUserByUsername(deps.table, input.username)).toMatchObject({ id: userId });
  });
});

describe('deletion racing sign-in and refresh leaves nothing alive', () => {
  it('a sign-in whose password check came before the deletion, and its session write after: refused, no session', async () => {
    const { input, userId, caller } = await signedIn();
    const table = changingBefore(deps.table, writesSession, () => deleteOwnAccount(deps, caller, input.password, client.ip));
    expect(await refusal(signIn(input, table))).toBe('401 Invalid username or password!');
    expect(table.injected).toBe(1);
    expect(await listSessionItems(deps.table, userId)).toEqual([]);
  });

  it('a sign-in whose session was written just before the deletion: the session is deleted with the account', async () => {
    const { input, userId, caller } = await signedIn();
    let raced: Awaited<ReturnType<typeof signIn>> | undefined;
    const table = changingBefore(deps.table, deletesProfile(userId), async () => (raced = await signIn(input)));
    await deleteOwnAccount({ ...deps, table }, caller, input.password, client.ip);
    expect(table.injected).toBe(1);
    expect(await isLive(userId, sessionIdOf(raced!.refreshToken), epochSeconds(deps.now()))).toBe(false);
    await expect(refreshSession(deps, raced!.refreshToken)).rejects.toThrow(new RefreshTokenError('unknown'));
    expect(await listSessionItems(deps.table, userId)).toEqual([]);
  });

  it('a refresh that read the session live before the deletion, and writes after it: refused', async () => {
    const { input, userId, caller, refreshToken } = await signedIn();
    const table = changingBefore(deps.table, exchangesToken, () => deleteOwnAccount(deps, caller, input.password, client.ip));
    expect(await refusal(refreshSession({ ...deps, table }, refreshToken))).toBe('403 Refresh token is not in database!');
    expect(table.injected).toBe(1);
    expect(await listSessionItems(deps.table, userId)).toEqual([]);
  });

  it('a refresh written just before the deletion: its new tokens are dead with the account', async () => {
    const { input, userId, caller, refreshToken } = await signedIn();
    let rotated: Awaited<ReturnType<typeof refreshSession>> | undefined;
    const table = changingBefore(deps.table, deletesProfile(userId), async () => (rotated = await refreshSession(deps, refreshToken)));
    await deleteOwnAccount({ ...deps, table }, caller, input.password, client.ip);
    expect(table.injected).toBe(1);
    const claims = await verifyToken(rotated!.accessToken);
    expect(await isLive(userId, claims.sessionId, epochSeconds(deps.now()))).toBe(false);
    await expect(refreshSession(deps, rotated!.refreshToken)).rejects.toThrow(new RefreshTokenError('unknown'));
  });
});

describe('recovery codes', () => {
  const codeNow = (secret: string, steps = 0) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + steps * 30_000 });

  /** A signed-in user with MFA on: its caller claims and its first recovery codes. */
  async function enrolled() {
    const { input, userId, caller } = await signedIn('itcodes');
    const { secret } = await setupTotp(deps, caller, input.password, client.ip);
    const { recoveryCodes } = await confirmTotp(deps, caller, codeNow(secret));
    return { input, userId, caller, recoveryCodes };
  }

  async function signInWithCode(input: { username: string; password: string }, recoveryCode: string, table = deps.table) {
    const started = await signInOutcome(deps, input);
    if (!('mfaRequired' in started)) throw new Error('expected an MFA challenge');
    return verifySecondFactor({ ...deps, table }, { mfaToken: started.mfaToken, recoveryCode });
  }

  it('counts what is left; a new set needs the password, and only the new codes sign in afterwards', async () => {
    const { input, userId, caller, recoveryCodes } = await enrolled();
    expect(await recoveryCodesLeft(deps, caller)).toEqual({ remaining: 10 });
    await signInWithCode(input, recoveryCodes[0]!);
    expect(await recoveryCodesLeft(deps, caller)).toEqual({ remaining: 9 });

    expect(await refusal(regenerateRecoveryCodes(deps, caller, 'not the password', client.ip))).toBe('401 Current password is incorrect!');
    expect(await recoveryCodesLeft(deps, caller)).toEqual({ remaining: 9 });

    const renewed = await regenerateRecoveryCodes(deps, caller, input.password, client.ip);
    expect(renewed.recoveryCodes).toHaveLength(10);
    expect(new Set(renewed.recoveryCodes).size).toBe(10);
    expect(renewed.recoveryCodes.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    expect(await recoveryCodesLeft(deps, caller)).toEqual({ remaining: 10 });
    expect(await refusal(signInWithCode(input, recoveryCodes[1]!))).toBe('401 Invalid code!');
    await expect(signInWithCode(input, renewed.recoveryCodes[0]!)).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(await recoveryCodesLeft(deps, caller)).toEqual({ remaining: 9 });
    // Sessions live on (the authenticator and password are unchanged); the event is on the list.
    expect(await isLive(userId, caller.sessionId, epochSeconds(deps.now()))).toBe(true);
    expect((await eventsPage(deps, userId, {})).events.map((event) => event.type)).toContain('recovery.regenerate');
  });

  it('with MFA off: 400 for both, and no codes are stored', async () => {
    const { input, userId, caller } = await signedIn('itcodes');
    expect(await refusal(recoveryCodesLeft(deps, caller))).toBe('400 MFA is not enabled. Turn it on first.');
    expect(await refusal(regenerateRecoveryCodes(deps, caller, input.password, client.ip))).toBe('400 MFA is not enabled. Turn it on first.');
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: false, recoveryCodesLeft: 0 });
  });

  it('a code spent after the new set is written is refused, though its check began before', async () => {
    const { input, caller, recoveryCodes } = await enrolled();
    let renewed: string[] = [];
    const spendsCode = (command: unknown) => command instanceof UpdateCommand && String(command.input.UpdateExpression).startsWith('DELETE recoveryCodes');
    const table = changingBefore(deps.table, spendsCode, async () => {
      renewed = (await regenerateRecoveryCodes(deps, caller, input.password, client.ip)).recoveryCodes;
    });
    expect(await refusal(signInWithCode(input, recoveryCodes[0]!, table))).toBe('401 Invalid code!');
    expect(table.injected).toBe(1);
    expect(await recoveryCodesLeft(deps, caller)).toEqual({ remaining: 10 });
    await expect(signInWithCode(input, renewed[0]!)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('a code spent just before the new set is written signed in once; afterwards no old code is left', async () => {
    const { input, caller, recoveryCodes } = await enrolled();
    const replacesCodes = (command: unknown) => command instanceof UpdateCommand && String(command.input.UpdateExpression).startsWith('SET recoveryCodes');
    const table = changingBefore(deps.table, replacesCodes, () => signInWithCode(input, recoveryCodes[0]!));
    await regenerateRecoveryCodes({ ...deps, table }, caller, input.password, client.ip);
    expect(table.injected).toBe(1);
    expect(await recoveryCodesLeft(deps, caller)).toEqual({ remaining: 10 });
    for (const code of recoveryCodes.slice(0, 3)) expect(await refusal(signInWithCode(input, code))).toBe('401 Invalid code!');
  });

  it('MFA turned off (from the same session) between the password check and the write: 400 as if it came second, MFA stays off', async () => {
    const { input, userId, caller } = await enrolled();
    const replacesCodes = (command: unknown) => command instanceof UpdateCommand && String(command.input.UpdateExpression).startsWith('SET recoveryCodes');
    const table = changingBefore(deps.table, replacesCodes, () => disableTotp(deps, caller, input.password, client.ip));
    expect(await refusal(regenerateRecoveryCodes({ ...deps, table }, caller, input.password, client.ip))).toBe('400 MFA is not enabled. Turn it on first.');
    expect(table.injected).toBe(1);
    expect(await getMfaState(deps.table, userId)).toMatchObject({ enabled: false, recoveryCodesLeft: 0 });
  });
});
