import { generateKeyPairSync } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Secret, TOTP } from 'otpauth';
import { credentialHash } from '../../lib/store/passkeys';
import { itemKeys } from '../../lib/store/item-keys';
import { createTable } from '../../lib/store/table';
import { admin, api, apiFrom, cookieAttributes, signIn, signUp, type ApiResponse } from '../support/api';
import { assert, createCredential, type SoftCredential } from '../../scripts/soft-authenticator';
import { newUser } from '../support/data';
import { gateway, statusAndBody } from '../support/gateway';

// Passkeys (WebAuthn) over HTTP (contract, "Passkeys (WebAuthn)"): the software authenticator of
// scripts/soft-authenticator.ts answers the service's options as a browser would. The stack's relying
// party is the local default: WEBAUTHN_RP_ID=localhost, WEBAUTHN_ORIGINS = CORS_ORIGIN (global-setup.ts).
const ORIGIN = 'http://localhost:8081';
const FOREIGN = 'http://evil.example';
const REGISTRATION_FAILED = { status: 400, json: { message: 'Passkey registration failed.' } };
const SIGN_IN_FAILED = { status: 401, json: { message: 'Passkey sign-in failed.' } };
const NOT_FOUND = { status: 404, json: { message: 'Passkey not found.' } };

const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

type Claims = { amr?: string[]; sub?: string; userId?: string };
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Claims;
const STEP_MS = 30_000;
const codeAt = (secret: string, offsetSteps: number) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * STEP_MS });

interface Account {
  user: { username: string; email: string; password: string };
  id: string;
  token: string;
}

async function account(prefix = 'pk'): Promise<Account> {
  const user = newUser(prefix);
  expect((await signUp(user)).status).toBe(200);
  const answer = await signIn(user.username, user.password);
  expect(answer.status).toBe(200);
  return { user, id: answer.json.id as string, token: answer.json.accessToken as string };
}

type CreationOptions = { challenge: string; rp: { id?: string; name: string }; user: { id: string; name: string }; excludeCredentials?: { id: string }[] };

async function registrationOptions(owner: Account): Promise<CreationOptions> {
  const answer = await api('POST', '/api/auth/passkeys/register/options', { token: owner.token, body: { password: owner.user.password } });
  expect(answer.status).toBe(200);
  return answer.json as unknown as CreationOptions;
}

const registerVerify = (owner: Account, body: unknown) => api('POST', '/api/auth/passkeys/register/verify', { token: owner.token, body });

/** A passkey registered for `owner` (with user verification unless told otherwise). */
async function registered(owner: Account, ceremony: { userVerified?: boolean; name?: string } = {}): Promise<SoftCredential> {
  const { credential, response } = createCredential(await registrationOptions(owner), { origin: ORIGIN, userVerified: ceremony.userVerified });
  const answer = await registerVerify(owner, { response, ...(ceremony.name === undefined ? {} : { name: ceremony.name }) });
  expect(answer).toMatchObject({ status: 200, json: { id: credential.id } });
  return credential;
}

async function signInChallenge(): Promise<string> {
  const answer = await api('POST', '/api/auth/passkeys/signin/options', { body: {} });
  expect(answer.status).toBe(200);
  expect(answer.json.challengeId).toBe(answer.json.challenge);
  return answer.json.challengeId as string;
}

const signInVerify = (body: unknown, headers?: Record<string, string>) => api('POST', '/api/auth/passkeys/signin/verify', { body, headers });

/** A whole usernameless sign-in: options, the authenticator's answer, verify. */
async function passkeySignIn(credential: SoftCredential, ceremony: { userVerified?: boolean } = {}): Promise<ApiResponse> {
  const challengeId = await signInChallenge();
  return signInVerify({ challengeId, response: assert(credential, challengeId, { origin: ORIGIN, ...ceremony }) });
}

const passkeysOf = async (owner: Account) => {
  const answer = await api('GET', '/api/auth/passkeys', { token: owner.token });
  expect(answer.status).toBe(200);
  return answer.json.passkeys as Record<string, unknown>[];
};

async function passkeyEvents(path: string, token: string): Promise<{ type: string; actor?: string }[]> {
  const answer = await api('GET', `${path}?limit=100`, { token });
  expect(answer.status).toBe(200);
  return (answer.json.events as { type: string; actor?: string }[]).filter((event) => event.type.startsWith('passkey.'));
}

const adminToken = async () => {
  const answer = await signIn(admin().username, admin().password);
  expect(answer.status).toBe(200);
  return { token: answer.json.accessToken as string, id: answer.json.id as string };
};

async function turnOnMfa(owner: Account): Promise<string> {
  const setup = await api('POST', '/api/auth/mfa/totp/setup', { token: owner.token, body: { password: owner.user.password } });
  expect(setup.status).toBe(200);
  const secret = setup.json.secret as string;
  expect((await api('POST', '/api/auth/mfa/totp/confirm', { token: owner.token, body: { code: codeAt(secret, 0) } })).status).toBe(200);
  return secret;
}

/** The two items of a passkey (the user's, and the claim on its credential id) as the table holds them. */
async function storedItems(userId: string, credentialId: string): Promise<unknown[]> {
  const hash = credentialHash(credentialId);
  const items = await Promise.all(
    [itemKeys.passkey(userId, hash), itemKeys.passkeyClaim(hash)].map((Key) =>
      table.client.send(new GetCommand({ TableName: table.name, Key, ConsistentRead: true })),
    ),
  );
  return items.map((result) => result.Item).filter(Boolean);
}

describe('registering a passkey', () => {
  it('needs the password for the options (401 for a wrong one, the gateway refusal with no token), and answers creation options for the user', async () => {
    const owner = await account('pkreg');
    expect(await api('POST', '/api/auth/passkeys/register/options', { token: owner.token, body: { password: 'not the password' } })).toMatchObject({
      status: 401,
      json: { message: 'Current password is incorrect!' },
    });
    expect(await api('POST', '/api/auth/passkeys/register/options', { token: owner.token, body: {} })).toMatchObject({
      status: 400,
      json: { message: 'password is required' },
    });
    expect(await api('POST', '/api/auth/passkeys/register/options', { body: { password: owner.user.password } })).toMatchObject(
      statusAndBody(gateway().noToken),
    );
    const options = await registrationOptions(owner);
    expect(options).toMatchObject({
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      rp: { id: 'localhost', name: expect.any(String) },
      // The user handle is the user's id (base64url), never a name.
      user: { id: Buffer.from(owner.id).toString('base64url'), name: owner.user.username },
      attestation: 'none',
      excludeCredentials: [],
    });

    const { credential, response } = createCredential(options, { origin: ORIGIN });
    const answer = await registerVerify(owner, { response, name: 'Laptop' });
    expect(answer).toMatchObject({ status: 200, json: { id: credential.id, name: 'Laptop', createdAt: expect.any(String) } });
    expect(Object.keys(answer.json).sort()).toEqual(['createdAt', 'id', 'name']);
    // The next options exclude it, so an authenticator that holds it makes no second one.
    expect((await registrationOptions(owner)).excludeCredentials).toEqual([expect.objectContaining({ id: credential.id })]);
  });

  it('answers the same 400 for a used challenge, a wrong origin, a wrong relying party, and another user’s or a sign-in challenge; none of them stores anything', async () => {
    const owner = await account('pkregfail');
    const other = await account('pkregother');

    // A used challenge: the first answer registers, a second credential for the same challenge does not.
    const options = await registrationOptions(owner);
    expect((await registerVerify(owner, { response: createCredential(options, { origin: ORIGIN }).response })).status).toBe(200);
    const replay = createCredential(options, { origin: ORIGIN });
    expect(await registerVerify(owner, { response: replay.response })).toMatchObject(REGISTRATION_FAILED);

    // A wrong origin, and a wrong relying party id: each spends its challenge (one try per challenge).
    const wrongOrigin = await registrationOptions(owner);
    expect(await registerVerify(owner, { response: createCredential(wrongOrigin, { origin: FOREIGN }).response })).toMatchObject(REGISTRATION_FAILED);
    expect(await registerVerify(owner, { response: createCredential(wrongOrigin, { origin: ORIGIN }).response })).toMatchObject(REGISTRATION_FAILED);
    const wrongRp = await registrationOptions(owner);
    expect(await registerVerify(owner, { response: createCredential(wrongRp, { origin: ORIGIN, rpId: 'evil.example' }).response })).toMatchObject(
      REGISTRATION_FAILED,
    );

    // Another user's challenge: refused for the owner, and not spent by the refusal: its user still registers with it.
    const theirs = await registrationOptions(other);
    expect(await registerVerify(owner, { response: createCredential(theirs, { origin: ORIGIN }).response })).toMatchObject(REGISTRATION_FAILED);
    expect((await registerVerify(other, { response: createCredential(theirs, { origin: ORIGIN }).response })).status).toBe(200);

    // A sign-in challenge is no registration challenge.
    const signInOne = await signInChallenge();
    const fromSignIn = createCredential({ challenge: signInOne, rp: { id: 'localhost' }, user: { id: options.user.id } }, { origin: ORIGIN });
    expect(await registerVerify(owner, { response: fromSignIn.response })).toMatchObject(REGISTRATION_FAILED);

    // Of all these, only the first registration is stored for the owner, and the other user's one for them.
    expect(await passkeysOf(owner)).toHaveLength(1);
    expect(await passkeysOf(other)).toHaveLength(1);
  });

  it('refuses bad verify bodies with a 400 naming the field, and stores nothing; an answer of the right shape but no meaning is the ceremony’s 400', async () => {
    const owner = await account('pkreginput');
    const options = await registrationOptions(owner);
    const { response } = createCredential(options, { origin: ORIGIN });
    const inner = response.response as Record<string, unknown>;
    const cases: [unknown, string][] = [
      [{}, 'response must be the credential the browser created'],
      [{ response: 'a string' }, 'response must be the credential the browser created'],
      [{ response: { ...response, id: undefined } }, 'response.id is required'],
      [{ response: { ...response, id: 42 } }, 'response.id must be a string'],
      [{ response: { ...response, rawId: 'not base64url!' } }, 'response.rawId must be base64url'],
      [{ response: { ...response, type: 'password' } }, 'type must be "public-key"'],
      [{ response: { ...response, response: 'a string' } }, 'response.response must be an object'],
      [{ response: { ...response, response: { ...inner, clientDataJSON: 'not base64url!' } } }, 'response.response.clientDataJSON must be base64url'],
      [{ response: { ...response, response: { ...inner, attestationObject: undefined } } }, 'response.response.attestationObject is required'],
      [{ response: { ...response, response: { ...inner, attestationObject: 7 } } }, 'response.response.attestationObject must be a string'],
      [{ response: { ...response, authenticatorAttachment: 'usb' } }, 'authenticatorAttachment is not one of platform, cross-platform'],
      [{ response, name: '' }, 'name must be 1 to 64 characters'],
      [{ response, name: 'x'.repeat(65) }, 'name must be 1 to 64 characters'],
      [{ response, name: 5 }, 'name must be a string'],
    ];
    for (const [body, message] of cases)
      expect({ body, answer: await registerVerify(owner, body) }).toMatchObject({ body, answer: { status: 400, json: { message } } });
    expect(await api('POST', '/api/auth/passkeys/register/verify', { token: owner.token })).toMatchObject({
      status: 400,
      json: { message: 'Request body is required.' },
    });
    // Base64url that is no client data, and client data naming no challenge of ours: the ceremony's one 400.
    for (const clientDataJSON of ['bm90IGpzb24', Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: 'unknown' })).toString('base64url')]) {
      expect(await registerVerify(owner, { response: { ...response, response: { ...inner, clientDataJSON } } })).toMatchObject(REGISTRATION_FAILED);
    }
    // None of them spent the challenge: the real answer still registers.
    expect((await registerVerify(owner, { response })).status).toBe(200);
  });
});

describe("a user's passkeys", () => {
  it('lists exactly id, name, createdAt, lastUsedAt, backedUp and transports, oldest first; a sign-in sets lastUsedAt', async () => {
    const owner = await account('pklist');
    expect(await passkeysOf(owner)).toEqual([]);
    const first = await registered(owner, { name: 'Phone' });
    const second = await registered(owner);
    const listed = await passkeysOf(owner);
    expect(listed).toEqual([
      { id: first.id, name: 'Phone', createdAt: expect.any(String), lastUsedAt: null, backedUp: false, transports: ['internal'] },
      { id: second.id, name: 'Passkey', createdAt: expect.any(String), lastUsedAt: null, backedUp: false, transports: ['internal'] },
    ]);
    for (const passkey of listed) expect(Object.keys(passkey).sort()).toEqual(['backedUp', 'createdAt', 'id', 'lastUsedAt', 'name', 'transports']);
    expect((await passkeySignIn(second)).status).toBe(200);
    const [, used] = await passkeysOf(owner);
    expect(used).toMatchObject({ id: second.id, lastUsedAt: expect.any(String) });
    expect(Date.parse(used!.lastUsedAt as string)).toBeGreaterThanOrEqual(Date.parse(used!.createdAt as string));
    expect(await api('GET', '/api/auth/passkeys')).toMatchObject(statusAndBody(gateway().noToken));
  });

  it('renames one (200), 404 for another user’s or an unknown one, 400 for a bad name', async () => {
    const owner = await account('pkname');
    const other = await account('pknameother');
    const mine = await registered(owner);
    const theirs = await registered(other, { name: 'Theirs' });
    const rename = (who: Account, id: string, body: unknown) => api('PATCH', `/api/auth/passkeys/${id}`, { token: who.token, body });
    expect(await rename(owner, mine.id, { name: '  Work laptop ' })).toMatchObject({ status: 200, json: { id: mine.id, name: 'Work laptop' } });
    expect((await passkeysOf(owner))[0]).toMatchObject({ id: mine.id, name: 'Work laptop' });
    expect(await rename(owner, theirs.id, { name: 'Mine now' })).toMatchObject(NOT_FOUND);
    for (const unknown of ['AAAAAAAAAAAAAAAAAAAAAA', 'not.an.id']) expect(await rename(owner, unknown, { name: 'x' })).toMatchObject(NOT_FOUND);
    for (const [body, message] of [
      [{}, 'name is required'],
      [{ name: '' }, 'name must be 1 to 64 characters'],
      [{ name: '   ' }, 'name must be 1 to 64 characters'],
      [{ name: 'x'.repeat(65) }, 'name must be 1 to 64 characters'],
      [{ name: 42 }, 'name must be a string'],
    ] as const)
      expect(await rename(owner, mine.id, body)).toMatchObject({ status: 400, json: { message } });
    // Nothing of that changed either passkey.
    expect((await passkeysOf(owner)).map(({ name }) => name)).toEqual(['Work laptop']);
    expect((await passkeysOf(other)).map(({ name }) => name)).toEqual(['Theirs']);
  });

  it('removes one (200): then 404, and no sign-in with it; another user’s or an unknown one is 404 and stays', async () => {
    const owner = await account('pkdel');
    const other = await account('pkdelother');
    const mine = await registered(owner);
    const theirs = await registered(other);
    const remove = (who: Account, id: string) => api('DELETE', `/api/auth/passkeys/${id}`, { token: who.token });
    expect(await remove(owner, theirs.id)).toMatchObject(NOT_FOUND);
    expect(await remove(owner, 'AAAAAAAAAAAAAAAAAAAAAA')).toMatchObject(NOT_FOUND);
    expect(await remove(owner, mine.id)).toMatchObject({ status: 200, json: { message: 'Passkey was removed.' } });
    expect(await remove(owner, mine.id)).toMatchObject(NOT_FOUND);
    expect(await passkeysOf(owner)).toEqual([]);
    expect(await storedItems(owner.id, mine.id)).toEqual([]);
    expect(await passkeySignIn(mine)).toMatchObject(SIGN_IN_FAILED);
    // The other user's passkey is untouched and still signs in.
    expect((await passkeySignIn(theirs)).status).toBe(200);
  });
});

describe('usernameless sign-in', () => {
  it('with user verification: the sign-in body and cookie, amr hwk, user, mfa; the session works and refreshes', async () => {
    const owner = await account('pksignin');
    const credential = await registered(owner);
    const options = await api('POST', '/api/auth/passkeys/signin/options', { body: {} });
    expect(options).toMatchObject({ status: 200, json: { rpId: 'localhost', challenge: expect.any(String), userVerification: 'preferred' } });
    // Usernameless: no list of credentials, so the answer tells nothing about any account.
    expect(options.json.allowCredentials ?? []).toEqual([]);
    const challengeId = options.json.challengeId as string;
    const answer = await signInVerify({ challengeId, response: assert(credential, challengeId, { origin: ORIGIN }) });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json).sort()).toEqual(['accessToken', 'email', 'expiresIn', 'id', 'refreshToken', 'roles', 'tokenType', 'username']);
    expect(answer.json).toMatchObject({ id: owner.id, username: owner.user.username, roles: ['ROLE_USER'], tokenType: 'Bearer' });
    expect(cookieAttributes(answer.headers.get('set-cookie'))).toMatchObject({ value: expect.stringMatching(/^ey/), httponly: true, samesite: 'Lax' });
    expect(claims(answer.json.accessToken as string).amr).toEqual(['hwk', 'user', 'mfa']);
    expect((await api('GET', '/api/auth/me', { token: answer.json.accessToken as string })).json).toMatchObject({ username: owner.user.username });
    const refreshed = await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: answer.json.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(claims(refreshed.json.accessToken as string).amr).toEqual(['hwk', 'user', 'mfa']);
  });

  it('without user verification: amr hwk alone; with MFA on, the TOTP step (no cookie), whose code gives hwk, otp, mfa', async () => {
    const owner = await account('pknouv');
    const credential = await registered(owner, { userVerified: false });
    const plain = await passkeySignIn(credential, { userVerified: false });
    expect(plain.status).toBe(200);
    expect(claims(plain.json.accessToken as string).amr).toEqual(['hwk']);

    const secret = await turnOnMfa(owner);
    const step = await passkeySignIn(credential, { userVerified: false });
    expect(step).toMatchObject({ status: 200, json: { mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery'] } });
    expect(Object.keys(step.json).sort()).toEqual(['methods', 'mfaRequired', 'mfaToken']);
    expect(step.headers.get('set-cookie')).toBeNull();
    const verified = await api('POST', '/api/auth/mfa/verify', { body: { mfaToken: step.json.mfaToken, code: codeAt(secret, 1) } });
    expect(verified.status).toBe(200);
    expect(verified.headers.get('set-cookie')).toMatch(/^jwt_session=/);
    expect(claims(verified.json.accessToken as string).amr).toEqual(['hwk', 'otp', 'mfa']);

    // With user verification the passkey is both factors: no TOTP step though MFA is on.
    const uv = await passkeySignIn(credential);
    expect(uv.json.mfaRequired).toBeUndefined();
    expect(claims(uv.json.accessToken as string).amr).toEqual(['hwk', 'user', 'mfa']);
  });

  it('answers every failure with the same 401 and nothing else: unknown credential, used, expired or registration challenge, bad signature, wrong origin, foreign user handle', async () => {
    const owner = await account('pkfail');
    const other = await account('pkfailother');
    const credential = await registered(owner);
    const failures: Record<string, ApiResponse> = {};

    // A credential nobody registered (made for options of ours that were never verified).
    const stranger = createCredential(
      { challenge: 'AAAA', rp: { id: 'localhost' }, user: { id: Buffer.from(owner.id).toString('base64url') } },
      { origin: ORIGIN },
    );
    const forStranger = await signInChallenge();
    failures.unknownCredential = await signInVerify({ challengeId: forStranger, response: assert(stranger.credential, forStranger, { origin: ORIGIN }) });

    // A used challenge: the first answer signs in, a second answer to it does not.
    const used = await signInChallenge();
    expect((await signInVerify({ challengeId: used, response: assert(credential, used, { origin: ORIGIN }) })).status).toBe(200);
    failures.usedChallenge = await signInVerify({ challengeId: used, response: assert(credential, used, { origin: ORIGIN }) });

    // An expired challenge: its expiry moved into the past in the table, as the passing of 5 minutes would.
    const expired = await signInChallenge();
    await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.webauthnChallenge(expired),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    failures.expiredChallenge = await signInVerify({ challengeId: expired, response: assert(credential, expired, { origin: ORIGIN }) });

    // A registration challenge (of the credential's own user) is no sign-in challenge, and stays unspent for its registration.
    const registration = await registrationOptions(owner);
    failures.registrationChallenge = await signInVerify({
      challengeId: registration.challenge,
      response: assert(credential, registration.challenge, { origin: ORIGIN }),
    });
    expect((await registerVerify(owner, { response: createCredential(registration, { origin: ORIGIN }).response })).status).toBe(200);

    // A bad signature (another key's), which spends the challenge: the honest answer after it fails too.
    const badSignature = await signInChallenge();
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    failures.badSignature = await signInVerify({
      challengeId: badSignature,
      response: assert({ ...credential, privateKey: otherKey }, badSignature, { origin: ORIGIN }),
    });
    failures.afterBadSignature = await signInVerify({ challengeId: badSignature, response: assert(credential, badSignature, { origin: ORIGIN }) });

    // Signed for another origin, or for another challenge than the challengeId sent.
    const wrongOrigin = await signInChallenge();
    failures.wrongOrigin = await signInVerify({ challengeId: wrongOrigin, response: assert(credential, wrongOrigin, { origin: FOREIGN }) });
    const [sent, signed] = [await signInChallenge(), await signInChallenge()];
    failures.otherChallenge = await signInVerify({ challengeId: sent, response: assert(credential, signed, { origin: ORIGIN }) });

    // A user handle naming another user than the credential's owner.
    const foreignHandle = await signInChallenge();
    failures.foreignUserHandle = await signInVerify({
      challengeId: foreignHandle,
      response: assert({ ...credential, userHandle: Buffer.from(other.id).toString('base64url') }, foreignHandle, { origin: ORIGIN }),
    });

    for (const [cause, answer] of Object.entries(failures)) {
      expect({ cause, status: answer.status, json: answer.json, cookie: answer.headers.get('set-cookie') }).toEqual({
        cause,
        ...SIGN_IN_FAILED,
        cookie: null,
      });
    }
    // None of them was a sign-in: the owner's only passkey sign-in is the one that worked.
    expect((await passkeyEvents('/api/auth/events', owner.token)).filter(({ type }) => type === 'passkey.signin')).toHaveLength(1);
  });

  it('refuses bad verify bodies with a 400 naming the field, never a 5xx, and spends no challenge', async () => {
    const owner = await account('pkinput');
    const credential = await registered(owner);
    const challengeId = await signInChallenge();
    const response = assert(credential, challengeId, { origin: ORIGIN });
    const inner = response.response as Record<string, unknown>;
    const cases: [unknown, string][] = [
      [{ challengeId }, 'response must be the credential the browser returned'],
      [{ challengeId, response: [] }, 'response must be the credential the browser returned'],
      [{ response }, 'challengeId is required'],
      [{ challengeId: 'not base64url!', response }, 'challengeId must be base64url'],
      [{ challengeId: 12, response }, 'challengeId must be a string'],
      [{ challengeId: 'A'.repeat(129), response }, 'challengeId is too long'],
      [{ challengeId, response: { ...response, id: '' } }, 'response.id is required'],
      [{ challengeId, response: { ...response, id: 'a+b/c=' } }, 'response.id must be base64url'],
      [{ challengeId, response: { ...response, rawId: 9 } }, 'response.rawId must be a string'],
      [{ challengeId, response: { ...response, type: 'public_key' } }, 'type must be "public-key"'],
      [{ challengeId, response: { ...response, response: null } }, 'response.response must be an object'],
      [{ challengeId, response: { ...response, response: { ...inner, signature: 'sig==' } } }, 'response.response.signature must be base64url'],
      [{ challengeId, response: { ...response, response: { ...inner, authenticatorData: undefined } } }, 'response.response.authenticatorData is required'],
      [{ challengeId, response: { ...response, response: { ...inner, clientDataJSON: {} } } }, 'response.response.clientDataJSON must be a string'],
      [{ challengeId, response: { ...response, response: { ...inner, userHandle: 'not base64url!' } } }, 'response.response.userHandle must be base64url'],
    ];
    for (const [body, message] of cases) expect({ body, answer: await signInVerify(body) }).toMatchObject({ body, answer: { status: 400, json: { message } } });
    expect(await api('POST', '/api/auth/passkeys/signin/verify')).toMatchObject({ status: 400, json: { message: 'Request body is required.' } });
    expect(
      await api('POST', '/api/auth/passkeys/signin/verify', { rawBody: '{"challengeId":', headers: { 'content-type': 'application/json' } }),
    ).toMatchObject({
      status: 400,
    });
    // Of the right shape but no client data (or a signature that is no DER): the ceremony's one 401, no 5xx.
    for (const broken of [{ clientDataJSON: 'bm90IGpzb24' }, { signature: 'AAAA' }, { authenticatorData: 'AA' }]) {
      const other = await signInChallenge();
      const answer = assert(credential, other, { origin: ORIGIN });
      expect(await signInVerify({ challengeId: other, response: { ...answer, response: { ...(answer.response as object), ...broken } } })).toMatchObject(
        SIGN_IN_FAILED,
      );
    }
    // A null user handle (some browsers send it) is the same as none.
    const withNull = await signInChallenge();
    const nullHandle = assert(credential, withNull, { origin: ORIGIN });
    expect(
      (await signInVerify({ challengeId: withNull, response: { ...nullHandle, response: { ...(nullHandle.response as object), userHandle: null } } })).status,
    ).toBe(200);
    // No refused body spent the first challenge: the real answer to it still signs in.
    expect((await signInVerify({ challengeId, response })).status).toBe(200);
  });

  it('counts options and verify per source IP: past LOCKOUT_IP_THRESHOLD, 429 with Retry-After, even for a right answer', async () => {
    const owner = await account('pkip');
    const credential = await registered(owner);
    const from = '127.0.0.60';
    const threshold = Number(process.env.E2E_LOCKOUT_IP_THRESHOLD);
    await table.client.send(
      new PutCommand({
        TableName: table.name,
        Item: { ...itemKeys.attempts('passkey-ip', from), attempts: threshold - 1, expiresAt: Math.floor(Date.now() / 1000) + 60 },
      }),
    );
    const options = await apiFrom(from, 'POST', '/api/auth/passkeys/signin/options', {});
    expect(options.status).toBe(200);
    const challengeId = options.json.challengeId as string;
    const response = assert(credential, challengeId, { origin: ORIGIN });
    const locked = await apiFrom(from, 'POST', '/api/auth/passkeys/signin/verify', { challengeId, response });
    expect(locked).toMatchObject({ status: 429, json: { message: 'Too many sign-in attempts. Please try again later.' } });
    expect(locked.headers.get('retry-after')).toEqual(expect.stringMatching(/^\d+$/));
    expect((await apiFrom(from, 'POST', '/api/auth/passkeys/signin/options', {})).status).toBe(429);
    // Another address is not limited, and the refused answer spent nothing: its challenge still signs in.
    expect((await signInVerify({ challengeId, response })).status).toBe(200);
  });
});

describe('passkey events', () => {
  it('records passkey.add, passkey.signin and passkey.remove on the account, newest first, by the user', async () => {
    const owner = await account('pkevents');
    const credential = await registered(owner);
    expect((await passkeySignIn(credential)).status).toBe(200);
    expect((await api('DELETE', `/api/auth/passkeys/${credential.id}`, { token: owner.token })).status).toBe(200);
    const events = await passkeyEvents('/api/auth/events', owner.token);
    expect(events.map(({ type }) => type)).toEqual(['passkey.remove', 'passkey.signin', 'passkey.add']);
    for (const event of events) expect(event.actor).toBeUndefined();
    // The passkey's sign-in is not also a password sign-in.
    const all = (await api('GET', '/api/auth/events?limit=100', { token: owner.token })).json.events as { type: string }[];
    expect(all.filter(({ type }) => type === 'signin.success')).toHaveLength(1);
  });
});

describe("an admin and a user's passkeys", () => {
  it('lists them and removes one (recorded with the admin as actor); 403 for a non-admin, 404 for an unknown user or passkey', async () => {
    const owner = await account('pkadmin');
    const credential = await registered(owner, { name: 'Key' });
    const { token, id: adminId } = await adminToken();
    const path = `/api/admin/users/${owner.id}/passkeys`;

    expect(await api('GET', path, { token: owner.token })).toMatchObject({ status: 403 });
    expect(await api('DELETE', `${path}/${credential.id}`, { token: owner.token })).toMatchObject({ status: 403 });
    expect(await api('GET', path)).toMatchObject(statusAndBody(gateway().noToken));
    const unknownUser = '/api/admin/users/00000000-0000-4000-8000-000000000000/passkeys';
    expect(await api('GET', unknownUser, { token })).toMatchObject({ status: 404, json: { message: 'User not found.' } });
    expect(await api('DELETE', `${unknownUser}/${credential.id}`, { token })).toMatchObject(NOT_FOUND);
    expect(await api('DELETE', `${path}/AAAAAAAAAAAAAAAAAAAAAA`, { token })).toMatchObject(NOT_FOUND);

    const listed = await api('GET', path, { token });
    expect(listed).toMatchObject({ status: 200 });
    expect(listed.json.passkeys).toEqual([
      { id: credential.id, name: 'Key', createdAt: expect.any(String), lastUsedAt: null, backedUp: false, transports: ['internal'] },
    ]);
    expect(await api('DELETE', `${path}/${credential.id}`, { token })).toMatchObject({ status: 200, json: { message: 'Passkey was removed.' } });
    expect((await api('GET', path, { token })).json.passkeys).toEqual([]);
    expect(await passkeySignIn(credential)).toMatchObject(SIGN_IN_FAILED);
    expect(await passkeyEvents(`/api/admin/users/${owner.id}/events`, token)).toEqual([
      expect.objectContaining({ type: 'passkey.remove', actor: adminId }),
      expect.objectContaining({ type: 'passkey.add' }),
    ]);
    expect((await passkeyEvents('/api/auth/events', owner.token))[0]).toMatchObject({ type: 'passkey.remove', actor: adminId });
  });
});

describe('deleting the user', () => {
  it.each([
    ['by the user', (owner: Account) => api('DELETE', '/api/auth/me', { token: owner.token, body: { password: owner.user.password } })],
    ['by an admin', async (owner: Account) => api('DELETE', `/api/admin/users/${owner.id}`, { token: (await adminToken()).token })],
  ])('%s removes the passkeys and their claims: the credential signs in no more', async (_by, remove) => {
    const owner = await account('pkgone');
    const credential = await registered(owner);
    expect(await storedItems(owner.id, credential.id)).toHaveLength(2);
    expect((await remove(owner)).status).toBe(200);
    expect(await storedItems(owner.id, credential.id)).toEqual([]);
    expect(await passkeySignIn(credential)).toMatchObject(SIGN_IN_FAILED);
  });
});

// Cookie sessions (contract, "Cookie sessions"): the passkey routes take the cookie as the others do.
describe('passkeys with a cookie session', () => {
  it('a passkey sign-in’s cookie manages passkeys; a state change needs the allowed Origin (CSRF)', async () => {
    const owner = await account('pkcookie');
    const credential = await registered(owner);
    const answer = await passkeySignIn(credential);
    const cookie = /^(jwt_session=[^;]+)/.exec(answer.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toBeDefined();
    const withCookie = (origin?: string) => ({ headers: { cookie: cookie!, ...(origin ? { origin } : {}) } });
    expect((await api('GET', '/api/auth/passkeys', withCookie())).json.passkeys).toEqual([expect.objectContaining({ id: credential.id })]);
    const csrf = { status: 403, json: { message: 'Origin not allowed.' } };
    expect(await api('PATCH', `/api/auth/passkeys/${credential.id}`, { body: { name: 'Evil' }, ...withCookie() })).toMatchObject(csrf);
    expect(await api('PATCH', `/api/auth/passkeys/${credential.id}`, { body: { name: 'Evil' }, ...withCookie(FOREIGN) })).toMatchObject(csrf);
    expect(await api('POST', '/api/auth/passkeys/register/options', { body: { password: owner.user.password }, ...withCookie(FOREIGN) })).toMatchObject(csrf);
    expect(await api('PATCH', `/api/auth/passkeys/${credential.id}`, { body: { name: 'Mine' }, ...withCookie(ORIGIN) })).toMatchObject({
      status: 200,
      json: { name: 'Mine' },
    });
    expect((await api('POST', '/api/auth/passkeys/register/options', { body: { password: owner.user.password }, ...withCookie(ORIGIN) })).status).toBe(200);
  });

  it('lets the allowed origin read the public sign-in answers with credentials, and no other origin', async () => {
    const owner = await account('pkcors');
    const credential = await registered(owner);
    const cors = (response: ApiResponse) => ({
      origin: response.headers.get('access-control-allow-origin'),
      credentials: response.headers.get('access-control-allow-credentials'),
    });
    const allowed = await api('POST', '/api/auth/passkeys/signin/options', { body: {}, headers: { origin: ORIGIN } });
    expect(cors(allowed)).toEqual({ origin: ORIGIN, credentials: 'true' });
    const challengeId = allowed.json.challengeId as string;
    const verified = await signInVerify({ challengeId, response: assert(credential, challengeId, { origin: ORIGIN }) }, { origin: ORIGIN });
    expect(verified.status).toBe(200);
    expect(cors(verified)).toEqual({ origin: ORIGIN, credentials: 'true' });
    const refused = await signInVerify({ challengeId, response: assert(credential, challengeId, { origin: ORIGIN }) }, { origin: ORIGIN });
    expect(refused).toMatchObject(SIGN_IN_FAILED);
    expect(cors(refused)).toEqual({ origin: ORIGIN, credentials: 'true' });
    expect(cors(await api('POST', '/api/auth/passkeys/signin/options', { body: {}, headers: { origin: FOREIGN } }))).toEqual({
      origin: null,
      credentials: null,
    });
    const preflight = await api('OPTIONS', '/api/auth/passkeys/signin/verify', {
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });
});
