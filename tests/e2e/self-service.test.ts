import { Secret, TOTP } from 'otpauth';
import { api, refusedWithinRevocationBound, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';
import { awaitMails } from '../support/mail';

// What a user does to their own account over HTTP: delete it, and count and renew their recovery codes.
const codeNow = (secret: string) => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate();

async function signedUp(prefix: string) {
  const user = newUser(prefix);
  expect((await signUp(user)).status).toBe(200);
  const first = await signIn(user.username, user.password);
  expect(first.status).toBe(200);
  return { user, token: first.json.accessToken as string, refreshToken: first.json.refreshToken as string };
}

describe('DELETE /api/auth/me', () => {
  it('needs the password: missing is 400, wrong is 401, and the account lives on', async () => {
    const { user, token } = await signedUp('selfdel');
    expect(await api('DELETE', '/api/auth/me', { token, body: {} })).toMatchObject({ status: 400, json: { message: expect.any(String) } });
    expect(await api('DELETE', '/api/auth/me', { token, body: { password: 'not the password' } })).toMatchObject({
      status: 401,
      json: { message: 'Current password is incorrect!' },
    });
    expect(await api('GET', '/api/auth/me', { token })).toMatchObject({ status: 200, json: { username: user.username } });
    expect((await signIn(user.username, user.password)).status).toBe(200);
  });

  it('deletes the account: a notice mail, every token refused, the name and email free for a new sign-up', async () => {
    const { user, token, refreshToken } = await signedUp('selfdel');
    const other = await signIn(user.username, user.password);
    // Used once just before the deletion, so the authorizer's cached decision is fresh (support/api.ts).
    expect((await api('GET', '/api/auth/me', { token: other.json.accessToken as string })).status).toBe(200);

    expect(await api('DELETE', '/api/auth/me', { token, body: { password: user.password } })).toMatchObject({
      status: 200,
      json: { message: 'Your account was deleted.' },
    });
    await refusedWithinRevocationBound(() => api('GET', '/api/auth/me', { token: other.json.accessToken as string }));
    for (const presented of [refreshToken, other.json.refreshToken]) {
      expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: presented } })).toMatchObject({
        status: 403,
        json: { message: 'Refresh token is not in database!' },
      });
    }
    expect(await signIn(user.username, user.password)).toMatchObject({ status: 401, json: { message: 'Invalid username or password!' } });

    const [notice] = await awaitMails(user.email, /account was deleted/);
    expect(notice!.body.text).toContain('your account was just deleted');
    // The address was never verified: no greeting by name.
    expect(notice!.body.text).not.toContain(user.username);

    expect((await signUp(user)).status).toBe(200);
    expect((await signIn(user.username, user.password)).status).toBe(200);
  });
});

describe('/api/auth/mfa/recovery-codes', () => {
  async function enrolled() {
    const { user, token } = await signedUp('selfrc');
    const setup = await api('POST', '/api/auth/mfa/totp/setup', { token, body: { password: user.password } });
    const confirm = await api('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: codeNow(setup.json.secret as string) } });
    expect(confirm.status).toBe(200);
    return { user, token, recoveryCodes: confirm.json.recoveryCodes as string[] };
  }

  async function withRecoveryCode(user: { username: string; password: string }, recoveryCode: string) {
    const mfaToken = (await signIn(user.username, user.password)).json.mfaToken as string;
    return api('POST', '/api/auth/mfa/verify', { body: { mfaToken, recoveryCode } });
  }

  it('counts the codes left; a new set needs the password and replaces the old one at once', async () => {
    const { user, token, recoveryCodes } = await enrolled();
    expect(await api('GET', '/api/auth/mfa/recovery-codes', { token })).toMatchObject({ status: 200, json: { remaining: 10 } });
    expect((await withRecoveryCode(user, recoveryCodes[0]!)).status).toBe(200);
    expect(await api('GET', '/api/auth/mfa/recovery-codes', { token })).toMatchObject({ status: 200, json: { remaining: 9 } });

    expect(await api('POST', '/api/auth/mfa/recovery-codes', { token, body: { password: 'not the password' } })).toMatchObject({
      status: 401,
      json: { message: 'Current password is incorrect!' },
    });
    const renewed = await api('POST', '/api/auth/mfa/recovery-codes', { token, body: { password: user.password } });
    expect(renewed.status).toBe(200);
    const codes = renewed.json.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(await api('GET', '/api/auth/mfa/recovery-codes', { token })).toMatchObject({ status: 200, json: { remaining: 10 } });

    expect(await withRecoveryCode(user, recoveryCodes[1]!)).toMatchObject({ status: 401, json: { message: 'Invalid code!' } });
    expect((await withRecoveryCode(user, codes[0]!)).status).toBe(200);
    expect(await api('GET', '/api/auth/mfa/recovery-codes', { token })).toMatchObject({ status: 200, json: { remaining: 9 } });
    const events = (await api('GET', '/api/auth/events', { token })).json.events as { type: string }[];
    expect(events.map((event) => event.type)).toContain('recovery.regenerate');
  });

  it('with MFA off: 400 for both', async () => {
    const { user, token } = await signedUp('selfrc');
    const off = { status: 400, json: { message: 'MFA is not enabled. Turn it on first.' } };
    expect(await api('GET', '/api/auth/mfa/recovery-codes', { token })).toMatchObject(off);
    expect(await api('POST', '/api/auth/mfa/recovery-codes', { token, body: { password: user.password } })).toMatchObject(off);
  });
});
