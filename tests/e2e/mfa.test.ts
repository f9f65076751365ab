import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Secret, TOTP } from 'otpauth';
import { itemKeys } from '../../lib/store/item-keys';
import { createTable } from '../../lib/store/table';
import { admin, api, apiFrom, cookieAttributes, refusedWithinRevocationBound, signIn, signUp, type ApiResponse } from '../support/api';
import { newUser } from '../support/data';
import { awaitMails, forgetMailQuota, linkToken } from '../support/mail';

// TOTP second factor over HTTP. Codes are computed here from the secret setup returns, as an
// authenticator app would; a code for the next 30-second step is valid now (one step of skew), which
// lets a test use a fresh step without waiting for the clock.
const STEP_MS = 30_000;
const codeAt = (secret: string, offsetSteps: number) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * STEP_MS });
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { amr?: string[]; sid: string };

async function enrolled(prefix = 'mfa') {
  const user = newUser(prefix);
  expect((await signUp(user)).status).toBe(200);
  const first = await signIn(user.username, user.password);
  const token = first.json.accessToken as string;
  const setup = await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } });
  expect(setup).toMatchObject({ status: 200 });
  const secret = setup.json.secret as string;
  const confirm = await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: codeAt(secret, 0) } });
  expect(confirm.status).toBe(200);
  return {
    user,
    secret,
    token,
    refreshToken: first.json.refreshToken as string,
    id: first.json.id as string,
    recoveryCodes: confirm.json.recoveryCodes as string[],
  };
}

async function challenge(user: { username: string; password: string }, from?: string): Promise<string> {
  const response = from
    ? await apiFrom(from, 'POST', '/api/auth/signin', { username: user.username, password: user.password })
    : await signIn(user.username, user.password);
  expect(response.status).toBe(200);
  expect(response.json).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery'] });
  return response.json.mfaToken as string;
}

const verify = (body: Record<string, unknown>) => api('POST', '/api/auth/mfa/verify', { body });

const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());
/** LOCKOUT_THRESHOLD of the e2e stack (tests/e2e/global-setup.ts). */
const LOCKOUT_THRESHOLD = 5;

describe('TOTP enrolment', () => {
  it('sets up a pending secret with an otpauth URL, confirms with a code, and returns 10 recovery codes once', async () => {
    const user = newUser('enrol');
    await signUp(user);
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    expect((await api('GET', '/api/auth/me', { token })).json.mfaEnabled).toBe(false);
    const setup = await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } });
    expect(setup.json).toEqual({ secret: expect.stringMatching(/^[A-Z2-7]{32}$/), otpauthUrl: expect.stringMatching(/^otpauth:\/\/totp\//) });
    expect(setup.json.otpauthUrl).toContain(encodeURIComponent(user.username));
    expect(setup.json.otpauthUrl).toContain('issuer=');
    // Pending until confirmed: sign-in still needs no second factor.
    expect((await signIn(user.username, user.password)).json.accessToken).toEqual(expect.any(String));
    expect(await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: '000000' } })).toMatchObject({
      status: 400,
      json: { message: 'Invalid code!' },
    });

    const confirm = await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: codeAt(setup.json.secret as string, 0) } });
    expect(confirm.status).toBe(200);
    const codes = confirm.json.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect((await api('GET', '/api/auth/me', { token })).json.mfaEnabled).toBe(true);
    // Never shown again.
    expect(await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } })).toMatchObject({ status: 400 });
  });

  it('needs the password: a stolen access token alone enrols nothing (401, counted like a sign-in attempt)', async () => {
    const user = newUser('setuppw');
    await signUp(user);
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    expect(await api('POST', '/api/auth/mfa/totp/setup', { token })).toMatchObject({ status: 400, json: { message: 'Request body is required.' } });
    expect(await api('POST', '/api/auth/mfa/totp/setup', { token, body: {} })).toMatchObject({ status: 400, json: { message: 'password is required' } });
    const wrong = await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: 'not the password' } });
    expect(wrong).toMatchObject({ status: 401, json: { message: 'Current password is incorrect!' } });
    expect(wrong.json.secret).toBeUndefined();
    // Nothing pending was stored: confirm has nothing to confirm.
    expect(await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: '123456' } })).toMatchObject({
      status: 400,
      json: { message: 'No MFA setup to confirm. Start with /api/auth/mfa/totp/setup.' },
    });
    // Counted against the username's sign-in limit: one short of it (a window of an hour, so no clock
    // decides), one more wrong guess reaches it, and the next attempt is refused unchecked.
    const counter = itemKeys.attempts('username', user.username.toLowerCase());
    await table.client.send(
      new PutCommand({ TableName: table.name, Item: { ...counter, attempts: LOCKOUT_THRESHOLD - 1, expiresAt: Math.floor(Date.now() / 1000) + 3600 } }),
    );
    expect((await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: 'not the password' } })).status).toBe(401);
    expect((await table.client.send(new GetCommand({ TableName: table.name, Key: counter, ConsistentRead: true }))).Item?.attempts).toBe(LOCKOUT_THRESHOLD);
    expect((await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } })).status).toBe(429);
  });

  it('ends the other sessions of the user when MFA goes on, not the one that turned it on', async () => {
    const user = newUser('others');
    await signUp(user);
    const mine = await signIn(user.username, user.password);
    const other = await signIn(user.username, user.password);
    const token = mine.json.accessToken as string;
    const setup = await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } });
    expect((await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: codeAt(setup.json.secret as string, 0) } })).status).toBe(200);
    expect((await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: other.json.refreshToken } })).status).toBe(403);
    expect((await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: mine.json.refreshToken } })).status).toBe(200);
  });
  it('lists only the session that turned MFA on: the others ended by the credentials version alone are not shown', async () => {
    const user = newUser('mfalist');
    await signUp(user);
    const mine = await signIn(user.username, user.password);
    await signIn(user.username, user.password);
    const token = mine.json.accessToken as string;
    const sessions = async () => ((await api('GET', '/api/auth/sessions', { token })).json.sessions as { current: boolean }[]).map(({ current }) => current);
    expect(await sessions()).toEqual(expect.arrayContaining([true, false]));
    const setup = await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } });
    expect((await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: codeAt(setup.json.secret as string, 0) } })).status).toBe(200);
    expect(await sessions()).toEqual([true]);
  });
});

describe("the other sessions' access tokens", () => {
  const userContent = (token: string) => api('GET', '/api/test/user', { token });

  it('are refused within the revocation bound once session A turns MFA on, and again once A turns it off; A goes on', async () => {
    const user = newUser('mfaOthers');
    expect((await signUp(user)).status).toBe(200);
    const a = (await signIn(user.username, user.password)).json.accessToken as string;
    const b = (await signIn(user.username, user.password)).json.accessToken as string;
    const setup = await api('POST', '/api/auth/mfa/totp/setup', { token: a, body: { password: user.password } });
    expect(setup.status).toBe(200);
    const secret = setup.json.secret as string;
    // B used (its decision cached) just before the change, so the bound is what gets tested.
    expect(await userContent(b)).toMatchObject({ status: 200 });
    expect((await api('POST', '/api/auth/mfa/totp/confirm', { token: a, body: { code: codeAt(secret, 0) } })).status).toBe(200);
    await refusedWithinRevocationBound(() => userContent(b));
    expect(await userContent(a)).toMatchObject({ status: 200 });

    // C: a sign-in with the second factor, while MFA is on.
    const c = await verify({ mfaToken: await challenge(user), code: codeAt(secret, 1) });
    expect(c.status).toBe(200);
    const cToken = c.json.accessToken as string;
    expect(await userContent(cToken)).toMatchObject({ status: 200 });
    expect(await api('DELETE', '/api/auth/mfa/totp', { token: a, body: { password: user.password } })).toMatchObject({ status: 200 });
    await refusedWithinRevocationBound(() => userContent(cToken));
    expect(await userContent(a)).toMatchObject({ status: 200 });
  });
});

describe('sign-in with MFA on', () => {
  it('answers a challenge without tokens or cookie, then the sign-in body and cookie for a code, with amr otp; refresh keeps it', async () => {
    const { user, secret } = await enrolled();
    expect((await signIn(user.username, user.password)).headers.get('set-cookie')).toBeNull();
    const mfaToken = await challenge(user);
    const answer = await verify({ mfaToken, code: codeAt(secret, 1) });
    expect(answer.status).toBe(200);
    expect(cookieAttributes(answer.headers.get('set-cookie'))).toMatchObject({ value: expect.stringMatching(/^ey/), httponly: true, samesite: 'Lax' });
    expect(answer.json).toMatchObject({ username: user.username, roles: ['ROLE_USER'], tokenType: 'Bearer', accessToken: expect.any(String) });
    expect(claims(answer.json.accessToken as string).amr).toEqual(['pwd', 'otp', 'mfa']);
    const refreshed = await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: answer.json.refreshToken } });
    expect(claims(refreshed.json.accessToken as string).amr).toEqual(['pwd', 'otp', 'mfa']);
    expect((await api('GET', '/api/test/user', { token: answer.json.accessToken as string })).status).toBe(200);
    // Single use: the same mfaToken again is expired.
    expect(await verify({ mfaToken, code: codeAt(secret, 1) })).toMatchObject({ status: 401, json: { message: 'MFA session expired. Please sign in again.' } });
  });

  it('refuses a replayed code, even with a new mfaToken', async () => {
    const { user, secret } = await enrolled('replay');
    const code = codeAt(secret, 1);
    expect((await verify({ mfaToken: await challenge(user), code })).status).toBe(200);
    expect(await verify({ mfaToken: await challenge(user), code })).toMatchObject({ status: 401, json: { message: 'Invalid code!' } });
    // An older step than the last one used is refused as well.
    expect(await verify({ mfaToken: await challenge(user), code: codeAt(secret, 0) })).toMatchObject({ status: 401, json: { message: 'Invalid code!' } });
  });

  it('accepts each recovery code once, with amr without otp', async () => {
    const { user, recoveryCodes } = await enrolled('recovery');
    const [code] = recoveryCodes as [string];
    // As a person may type it: lower case, spaces for the dashes.
    const answer = await verify({ mfaToken: await challenge(user), recoveryCode: code.toLowerCase().replace(/-/g, ' ') });
    expect(answer.status).toBe(200);
    expect(claims(answer.json.accessToken as string).amr).toEqual(['pwd', 'mfa']);
    expect(await verify({ mfaToken: await challenge(user), recoveryCode: code })).toMatchObject({ status: 401, json: { message: 'Invalid code!' } });
  });

  it('takes a code as people and clients send it: spaces inside, or the digits as a JSON number', async () => {
    const user = newUser('codeforms');
    expect((await signUp(user)).status).toBe(200);
    const token = (await signIn(user.username, user.password)).json.accessToken as string;
    const secret = (await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } })).json.secret as string;
    const confirm = (code: unknown) => api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code } });
    for (const [code, message] of [
      [1234567, 'code must be 6 digits'],
      [12.5, 'code must be 6 digits'],
      [-1, 'code must be 6 digits'],
      [true, 'code must be a string or a number of 6 digits'],
    ] as const)
      expect(await confirm(code)).toMatchObject({ status: 400, json: { message } });
    const spaced = codeAt(secret, 0).replace(/^(\d{3})/, '$1 ');
    expect(await confirm(spaced)).toMatchObject({ status: 200, json: { recoveryCodes: expect.any(Array) } });
    // A number has no leading zeros: it is read zero-padded, so a code such as 012345 sent as 12345 works.
    const code = codeAt(secret, 1);
    const answer = await verify({ mfaToken: await challenge(user), code: Number(code) });
    expect(answer).toMatchObject({ status: 200, json: { accessToken: expect.any(String) } });
    expect(await verify({ mfaToken: await challenge(user), code: 1234567 })).toMatchObject({ status: 400, json: { message: 'code must be 6 digits' } });
  });

  it('tells a malformed mfaToken (400) from an expired, spent or forged one (401)', async () => {
    const { user, secret, token: accessToken } = await enrolled('malformed');
    const notValid = { status: 400, json: { message: 'mfaToken is not valid: send the mfaToken from the sign-in answer' } };
    for (const mfaToken of ['not-a-token', 'a.b.c', accessToken]) expect(await verify({ mfaToken, code: codeAt(secret, 1) })).toMatchObject(notValid);
    const [header, payload] = (await challenge(user)).split('.') as [string, string];
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    expect(await verify({ mfaToken: forged, code: codeAt(secret, 1) })).toMatchObject({
      status: 401,
      json: { message: 'MFA session expired. Please sign in again.' },
    });
    // None of these was a guess at the code: the real challenge still takes the right one.
    expect((await verify({ mfaToken: await challenge(user), code: codeAt(secret, 1) })).status).toBe(200);
  });

  it('is never taken for an access token', async () => {
    const { user } = await enrolled('notaccess');
    const mfaToken = await challenge(user);
    for (const path of ['/api/auth/me', '/api/test/user', '/api/auth/sessions']) {
      expect(await api('GET', path, { token: mfaToken })).toMatchObject({ status: 401, json: { message: 'Unauthorized!' } });
    }
    expect((await api('GET', '/api/test/user', { headers: { authorization: `Bearer ${mfaToken}` } })).status).toBe(401);
  });

  it('kills an mfaToken after 5 wrong codes, even for the right one next', async () => {
    const { user, secret } = await enrolled('guess');
    const mfaToken = await challenge(user);
    const wrong = codeAt(secret, 5); // five steps away: outside the accepted window
    for (let i = 0; i < 5; i++) expect(await verify({ mfaToken, code: wrong })).toMatchObject({ status: 401, json: { message: 'Invalid code!' } });
    expect(await verify({ mfaToken, code: codeAt(secret, 1) })).toMatchObject({ status: 401, json: { message: 'MFA session expired. Please sign in again.' } });
  });

  it('checks at most 10 codes per account per window, however many mfaTokens a password buys', async () => {
    const { user, secret } = await enrolled('perAccount');
    const tokens = [await challenge(user, '127.0.0.40'), await challenge(user, '127.0.0.40'), await challenge(user, '127.0.0.40')];
    const wrong = codeAt(secret, 5);
    const answers: ApiResponse[] = await Promise.all(tokens.flatMap((mfaToken) => Array.from({ length: 5 }, () => verify({ mfaToken, code: wrong }))));
    expect(answers.filter((a) => a.status === 401 && a.json.message === 'Invalid code!')).toHaveLength(10);
    const locked = answers.filter((a) => a.status === 429);
    expect(locked).toHaveLength(5);
    expect(locked[0]!.headers.get('retry-after')).toEqual(expect.stringMatching(/^\d+$/));
  });
});

// A challenge records the credentials version its password check saw (issue 21, point 1): whoever holds
// the password and the second factor must not outlast the owner's change made between the two steps.
describe('a credentials change between the password and the code', () => {
  const expired = { status: 401, json: { message: 'MFA session expired. Please sign in again.' } };
  /** The answer is refused, and nothing of it lives on: the old password earns nothing either. */
  async function refusedAfterChange(user: { username: string }, mfaToken: string, code: string, oldPassword: string) {
    const answer = await verify({ mfaToken, code });
    expect(answer).toMatchObject(expired);
    expect(answer.json.refreshToken).toBeUndefined();
    expect(answer.headers.get('set-cookie')).toBeNull();
    return signIn(user.username, oldPassword);
  }

  it('a password change: verify answers 401 expired', async () => {
    const { user, secret, token } = await enrolled('chg');
    const mfaToken = await challenge(user);
    expect((await api('POST', '/api/auth/password', { token, body: { currentPassword: user.password, newPassword: 'the owner changed it' } })).status).toBe(
      200,
    );
    expect((await refusedAfterChange(user, mfaToken, codeAt(secret, 1), user.password)).status).toBe(401);
  });

  it('a password reset: verify answers 401 expired', async () => {
    const { user, secret } = await enrolled('rst');
    const mfaToken = await challenge(user);
    // Sign-up's link took the address's mail quota for a minute: let it arrive, then forget the quota.
    await awaitMails(user.email, /^Confirm your email address/);
    await forgetMailQuota(table, user.email);
    // Mail requests from an address of this file's own (the per-IP mail limit).
    expect((await apiFrom('127.0.41.1', 'POST', '/api/auth/password/forgot', { email: user.email })).status).toBe(202);
    const resetToken = linkToken((await awaitMails(user.email, /^Reset your .+ password$/)).at(-1)!);
    expect((await apiFrom('127.0.41.1', 'POST', '/api/auth/password/reset', { token: resetToken, newPassword: 'the owner reset it' })).status).toBe(200);
    expect((await refusedAfterChange(user, mfaToken, codeAt(secret, 1), user.password)).status).toBe(401);
  });

  it('a role change by an admin: verify answers 401 expired, though the password is still right', async () => {
    const { user, secret, id } = await enrolled('role');
    const mfaToken = await challenge(user);
    const adminToken = (await signIn(admin().username, admin().password)).json.accessToken as string;
    expect((await api('PUT', `/api/admin/users/${id}/roles`, { token: adminToken, body: { roles: ['user', 'moderator'] } })).status).toBe(200);
    // The password is unchanged: signing in again gets a new challenge, under the new version.
    expect((await refusedAfterChange(user, mfaToken, codeAt(secret, 1), user.password)).json).toMatchObject({ mfaRequired: true });
  });

  it('MFA turned off and on again: verify answers 401 expired, even for a code of the new authenticator', async () => {
    const { user, token } = await enrolled('cycle');
    const mfaToken = await challenge(user);
    expect((await api('DELETE', '/api/auth/mfa/totp', { token, body: { password: user.password } })).status).toBe(200);
    const setup = await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } });
    const secret = setup.json.secret as string;
    expect((await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: codeAt(secret, 0) } })).status).toBe(200);
    expect(await verify({ mfaToken, code: codeAt(secret, 1) })).toMatchObject(expired);
  });
});

describe('turning MFA off', () => {
  it('needs the password (a wrong one is 401), then sign-in needs no second factor', async () => {
    const { user, token } = await enrolled('off');
    expect(await api('DELETE', '/api/auth/mfa/totp', { token, body: { password: 'not the password' } })).toMatchObject({ status: 401 });
    expect(await api('DELETE', '/api/auth/mfa/totp', { token, body: { password: user.password } })).toMatchObject({
      status: 200,
      json: { message: 'MFA was turned off.' },
    });
    const plain = await signIn(user.username, user.password);
    expect(claims(plain.json.accessToken as string).amr).toEqual(['pwd']);
  });

  it('by an admin: the user is signed out everywhere and signs in with the password alone', async () => {
    const { user, id, refreshToken } = await enrolled('reset');
    const adminToken = (await signIn(admin().username, admin().password)).json.accessToken as string;
    expect((await api('DELETE', `/api/admin/users/${id}/mfa`, { token: (await signIn(user.username, user.password)).json.mfaToken as string })).status).toBe(
      401,
    );
    expect(await api('DELETE', `/api/admin/users/${id}/mfa`, { token: adminToken })).toMatchObject({ status: 200 });
    expect(await api('DELETE', '/api/admin/users/00000000-0000-4000-8000-000000000000/mfa', { token: adminToken })).toMatchObject({ status: 404 });
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken } })).toMatchObject({
      status: 403,
      json: { message: 'Session ended. Please sign in again.' },
    });
    expect((await signIn(user.username, user.password)).json.accessToken).toEqual(expect.any(String));
    const listed = await api('GET', '/api/admin/users?limit=100', { token: adminToken });
    expect(listed.status).toBe(200);
  });
});
