import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { confirmTotp, setupTotp, verifySecondFactor } from '../../lib/account/mfa';
import { changePassword } from '../../lib/account/password';
import { refreshSession } from '../../lib/account/refresh';
import { signIn } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import { deleteUser } from '../../lib/account/admin-users';
import type { MailingDeps, SecondFactorDeps } from '../../lib/account/types';
import { type AccessClaims, verifyAccessToken } from '../../lib/access/tokens';
import { removeUserPasskey } from '../../lib/passkeys/manage';
import { registerPasskey, registrationOptions } from '../../lib/passkeys/registration';
import { signInOptions, signInWithPasskey } from '../../lib/passkeys/sign-in';
import type { PasskeySignInDeps } from '../../lib/passkeys/types';
import { BadRequestError, TooManyRequestsError, UnauthorizedError } from '../../lib/shared/errors';
import type { PasskeyRegistrationInput, PasskeySignInInput } from '../../lib/shared/validation';
import { listEvents } from '../../lib/store/events';
import { listPasskeys, passkeyOwner } from '../../lib/store/passkeys';
import { createTable } from '../../lib/store/table';
import { testAccountConfig } from '../support/account-config';
import { assert, createCredential, type SoftCredential } from '../../scripts/soft-authenticator';
import { newUser } from '../support/data';
import { changingBefore } from '../support/injection';
import { testKeySet } from '../support/keys';
import { recordingMailQueue } from '../support/mail';

// Passkey ceremonies against the real DynamoDB Local and the real @simplewebauthn/server checks, with a
// software authenticator (scripts/soft-authenticator.ts) answering as a browser's would, on a clock of
// the test (challenges live 5 minutes).
const ORIGIN = 'http://localhost:8081';
let clock = new Date('2026-06-01T12:00:00Z');
let deps: PasskeySignInDeps & SecondFactorDeps & MailingDeps;
const client = { userAgent: 'jest', ip: '127.0.0.1' };

beforeAll(async () => {
  deps = {
    table: createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT }),
    keys: (await testKeySet()).keys,
    now: () => clock,
    client,
    mail: recordingMailQueue(),
    config: { ...testAccountConfig, webauthnRpId: 'localhost', webauthnRpName: 'it', webauthnOrigins: [ORIGIN] },
  };
});
afterAll(() => deps.table.client.destroy());

const later = (seconds: number) => (clock = new Date(clock.getTime() + seconds * 1000));
const amrOf = (token: string) => decodeJwt(token).amr;

async function signedIn(): Promise<{ input: ReturnType<typeof newUser>; caller: AccessClaims }> {
  const input = newUser('itpk');
  await signUp(deps, input, undefined);
  const first = await signIn(deps, input);
  if ('mfaRequired' in first) throw new Error('unexpected MFA challenge');
  return { input, caller: await verifyAccessToken(deps.keys, first.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock }) };
}

/** A signed-in user with one passkey registered (user verification on, unless told otherwise). */
async function withPasskey(options: { userVerified?: boolean; counts?: boolean } = {}) {
  const user = await signedIn();
  const creation = await registrationOptions(deps, user.caller, user.input.password, client.ip);
  const { credential, response } = createCredential(creation, { origin: ORIGIN, ...options });
  await registerPasskey(deps, user.caller, { response } as PasskeyRegistrationInput);
  return { ...user, credential };
}

async function passkeySignIn(credential: SoftCredential, options: { userVerified?: boolean; counter?: number } = {}) {
  const { challengeId } = await signInOptions(deps);
  return signInWithPasskey(deps, answerFor(credential, challengeId, options));
}

const answerFor = (credential: SoftCredential, challengeId: string, options: { userVerified?: boolean; counter?: number; origin?: string } = {}) =>
  ({ challengeId, response: assert(credential, challengeId, { origin: ORIGIN, ...options }) }) as PasskeySignInInput;

const failedSignIn = { name: UnauthorizedError.name, message: 'Passkey sign-in failed.' };

describe('registration', () => {
  it('needs the password, excludes the passkeys already registered, and stores the new one', async () => {
    const { caller, input, credential } = await withPasskey();
    await expect(registrationOptions(deps, caller, 'not the password', client.ip)).rejects.toThrow('Current password is incorrect!');
    const again = await registrationOptions(deps, caller, input.password, client.ip);
    expect(again.excludeCredentials?.map((excluded) => excluded.id)).toEqual([credential.id]);
    expect(again).toMatchObject({ rp: { id: 'localhost', name: 'it' }, attestation: 'none' });
    expect(again.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(await listPasskeys(deps.table, caller.userId)).toEqual([
      expect.objectContaining({ id: credential.id, name: 'Passkey', counter: 0, lastUsedAt: null }),
    ]);
    expect(await passkeyOwner(deps.table, credential.id)).toBe(caller.userId);
  });

  it('spends its challenge once, for its own user only, within 5 minutes', async () => {
    const first = await signedIn();
    const other = await signedIn();
    const creation = await registrationOptions(deps, first.caller, first.input.password, client.ip);
    const { response } = createCredential(creation, { origin: ORIGIN });
    // Another user cannot finish it (and trying does not spend it).
    await expect(registerPasskey(deps, other.caller, { response } as PasskeyRegistrationInput)).rejects.toThrow('Passkey registration failed.');
    await registerPasskey(deps, first.caller, { response } as PasskeyRegistrationInput);
    await expect(registerPasskey(deps, first.caller, { response } as PasskeyRegistrationInput)).rejects.toThrow('Passkey registration failed.');

    const late = await registrationOptions(deps, first.caller, first.input.password, client.ip);
    later(301);
    await expect(
      registerPasskey(deps, first.caller, { response: createCredential(late, { origin: ORIGIN }).response } as PasskeyRegistrationInput),
    ).rejects.toThrow(BadRequestError);
    expect(await listPasskeys(deps.table, first.caller.userId)).toHaveLength(1);
  });

  it('refuses an answer from an origin not configured', async () => {
    const { caller, input } = await signedIn();
    const creation = await registrationOptions(deps, caller, input.password, client.ip);
    const { response } = createCredential(creation, { origin: 'http://localhost:9999' });
    await expect(registerPasskey(deps, caller, { response } as PasskeyRegistrationInput)).rejects.toThrow('Passkey registration failed.');
    expect(await listPasskeys(deps.table, caller.userId)).toEqual([]);
  });

  it('is refused (401) when the password changed between the options and the answer', async () => {
    const { caller, input } = await signedIn();
    const creation = await registrationOptions(deps, caller, input.password, client.ip);
    await changePassword(deps, caller, { currentPassword: input.password, newPassword: 'a brand new password' }, client.ip);
    const { response } = createCredential(creation, { origin: ORIGIN });
    await expect(registerPasskey(deps, caller, { response } as PasskeyRegistrationInput)).rejects.toThrow(UnauthorizedError);
    expect(await listPasskeys(deps.table, caller.userId)).toEqual([]);
  });
});

describe('usernameless sign-in', () => {
  it('with user verification opens a session with amr hwk, user, mfa, records passkey.signin and the use', async () => {
    const { caller, credential } = await withPasskey();
    const outcome = await passkeySignIn(credential);
    if ('mfaRequired' in outcome) throw new Error('unexpected MFA step');
    expect(outcome.user.id).toBe(caller.userId);
    expect(amrOf(outcome.accessToken)).toEqual(['hwk', 'user', 'mfa']);
    const { events } = await listEvents(deps.table, caller.userId, 10, undefined, new Uint8Array(32));
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['passkey.add', 'passkey.signin']));
    expect((await listPasskeys(deps.table, caller.userId))[0]!.lastUsedAt).toBe(clock.toISOString());
  });

  it('without user verification is one factor (amr hwk); with MFA on it then takes the TOTP step (hwk, otp, mfa)', async () => {
    const { caller, input, credential } = await withPasskey({ userVerified: false });
    const single = await passkeySignIn(credential, { userVerified: false });
    if ('mfaRequired' in single) throw new Error('unexpected MFA step');
    expect(amrOf(single.accessToken)).toEqual(['hwk']);

    const { secret } = await setupTotp(deps, caller, input.password, client.ip);
    const code = (at: Date) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at.getTime() });
    await confirmTotp(deps, caller, code(clock));
    later(60);
    const step = await passkeySignIn(credential, { userVerified: false });
    if (!('mfaRequired' in step)) throw new Error('expected the MFA step');
    const signedIn = await verifySecondFactor(deps, { mfaToken: step.mfaToken, code: code(clock) });
    expect(amrOf(signedIn.accessToken)).toEqual(['hwk', 'otp', 'mfa']);
    // With user verification the same user needs no TOTP step.
    const verified = await passkeySignIn(credential, { userVerified: true });
    expect('mfaRequired' in verified).toBe(false);
  });

  it('spends a challenge once; an expired one, or a registration challenge, never signs in', async () => {
    const { caller, input, credential } = await withPasskey();
    const { challengeId } = await signInOptions(deps);
    const answer = answerFor(credential, challengeId);
    await signInWithPasskey(deps, answer);
    await expect(signInWithPasskey(deps, answerFor(credential, challengeId))).rejects.toMatchObject(failedSignIn);

    const late = await signInOptions(deps);
    later(301);
    await expect(signInWithPasskey(deps, answerFor(credential, late.challengeId))).rejects.toMatchObject(failedSignIn);

    const registration = await registrationOptions(deps, caller, input.password, client.ip);
    await expect(signInWithPasskey(deps, answerFor(credential, registration.challenge))).rejects.toMatchObject(failedSignIn);
  });

  it('of two answers to one challenge at once, exactly one signs in', async () => {
    const { credential } = await withPasskey();
    const { challengeId } = await signInOptions(deps);
    const results = await Promise.allSettled([0, 1, 2].map(() => signInWithPasskey(deps, answerFor(credential, challengeId))));
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject(failedSignIn);
  });

  it('refuses a counter that did not grow on a passkey that counts, and records passkey.counter', async () => {
    const { caller, credential } = await withPasskey({ counts: true });
    await passkeySignIn(credential, { counter: 5 });
    await expect(passkeySignIn(credential, { counter: 5 })).rejects.toMatchObject(failedSignIn);
    await expect(passkeySignIn(credential, { counter: 3 })).rejects.toMatchObject(failedSignIn);
    const { events } = await listEvents(deps.table, caller.userId, 20, undefined, new Uint8Array(32));
    expect(events.filter((event) => event.type === 'passkey.counter')).toHaveLength(2);
    expect((await listPasskeys(deps.table, caller.userId))[0]!.counter).toBe(5);
    await expect(passkeySignIn(credential, { counter: 6 })).resolves.toHaveProperty('accessToken');
  });

  // The one mock: the table client runs the clone's whole sign-in just before the original's counter write
  // (fault injection, tests/support/injection.ts), the window between reading the counter and writing it.
  it('of two sign-ins with one counter value (a cloned credential), the one that writes second is refused', async () => {
    const { credential } = await withPasskey({ counts: true });
    const first = await signInOptions(deps);
    const second = await signInOptions(deps);
    const original = answerFor(credential, first.challengeId, { counter: 6 });
    const clone = answerFor(credential, second.challengeId, { counter: 6 });
    const writesCounter = (command: unknown) => command instanceof UpdateCommand && String(command.input.Key?.sk).startsWith('PASSKEY#');
    let cloned: unknown;
    const table = changingBefore(deps.table, writesCounter, async () => {
      cloned = await signInWithPasskey(deps, clone);
    });
    await expect(signInWithPasskey({ ...deps, table }, original)).rejects.toMatchObject(failedSignIn);
    expect(table.injected).toBe(1);
    expect(cloned).toHaveProperty('accessToken');
  });

  it('answers one 401 for an unknown credential, a wrong origin, a bad signature and a removed passkey', async () => {
    const { caller, credential } = await withPasskey();
    const { credential: stranger } = createCredential({ challenge: 'x', rp: { id: 'localhost' }, user: { id: 'bm9ib2R5' } }, { origin: ORIGIN });
    await expect(passkeySignIn(stranger)).rejects.toMatchObject(failedSignIn);

    const wrongOrigin = await signInOptions(deps);
    await expect(signInWithPasskey(deps, answerFor(credential, wrongOrigin.challengeId, { origin: 'http://localhost:9999' }))).rejects.toMatchObject(
      failedSignIn,
    );

    const tampered = await signInOptions(deps);
    const answer = answerFor(credential, tampered.challengeId);
    const response = answer.response.response as { signature: string };
    const signature = Buffer.from(response.signature, 'base64url');
    signature[signature.length - 1]! ^= 1;
    response.signature = signature.toString('base64url');
    await expect(signInWithPasskey(deps, answer)).rejects.toMatchObject(failedSignIn);

    await removeUserPasskey(deps, caller.userId, credential.id);
    await expect(passkeySignIn(credential)).rejects.toMatchObject(failedSignIn);
    expect(await passkeyOwner(deps.table, credential.id)).toBeUndefined();
  });

  it("refuses a user handle that is not the credential owner's", async () => {
    const { credential } = await withPasskey();
    credential.userHandle = Buffer.from('someone-else').toString('base64url');
    await expect(passkeySignIn(credential)).rejects.toMatchObject(failedSignIn);
  });
});

describe('credentials changes and limits', () => {
  it('a password change ends the sessions a passkey opened and leaves the passkey in place', async () => {
    const { caller, input, credential } = await withPasskey();
    const opened = await passkeySignIn(credential);
    if ('mfaRequired' in opened) throw new Error('unexpected MFA step');
    await changePassword(deps, caller, { currentPassword: input.password, newPassword: 'a brand new password' }, client.ip);
    await expect(refreshSession(deps, opened.refreshToken)).rejects.toThrow('Session ended. Please sign in again.');
    await expect(passkeySignIn(credential)).resolves.toHaveProperty('accessToken');
  });

  it('counts sign-in steps per source IP: past the threshold, 429 before any challenge or check', async () => {
    const { credential } = await withPasskey();
    const limited = {
      ...deps,
      client: { userAgent: 'jest', ip: `10.23.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
      config: { ...deps.config, lockoutIpThreshold: 3 },
    };
    const { challengeId } = await signInOptions(limited);
    await signInWithPasskey(limited, answerFor(credential, challengeId));
    const third = await signInOptions(limited);
    await expect(signInOptions(limited)).rejects.toThrow(TooManyRequestsError);
    await expect(signInWithPasskey(limited, answerFor(credential, third.challengeId))).rejects.toThrow(TooManyRequestsError);
    // The refused answer did not spend its challenge: the same answer from another address signs in.
    await expect(signInWithPasskey(deps, answerFor(credential, third.challengeId))).resolves.toHaveProperty('accessToken');
  });
});

describe('deleting a user', () => {
  it('deletes its passkeys and frees their claims', async () => {
    const { caller, credential } = await withPasskey();
    await deleteUser(deps, caller.userId);
    expect(await listPasskeys(deps.table, caller.userId)).toEqual([]);
    expect(await passkeyOwner(deps.table, credential.id)).toBeUndefined();
    await expect(passkeySignIn(credential)).rejects.toMatchObject(failedSignIn);
  });
});
