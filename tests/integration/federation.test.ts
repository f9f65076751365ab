import { createHash } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from '../../lib/store/item-keys';
import { decodeJwt } from 'jose';
import { confirmTotp, setupTotp, verifySecondFactor } from '../../lib/account/mfa';
import { deleteUser } from '../../lib/account/admin-users';
import { signIn } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps, MfaDeps, SecondFactorDeps } from '../../lib/account/types';
import { verifyAccessToken } from '../../lib/access/tokens';
import { accountForIdentity } from '../../lib/federation/accounts';
import { signInWithCode } from '../../lib/federation/exchange';
import { finishCallback, startAuthorization } from '../../lib/federation/flow';
import { ownIdentities, startLink, unlinkOwnIdentity } from '../../lib/federation/identities';
import { providerDirectory } from '../../lib/federation/providers';
import type { FederatedSignInDeps, FederationDeps } from '../../lib/federation/types';
import { BadRequestError, ConflictError } from '../../lib/shared/errors';
import { logger } from '../../lib/shared/log';
import { NO_PASSWORD } from '../../lib/shared/passwords';
import { listEvents } from '../../lib/store/events';
import { identityOwner } from '../../lib/store/identities';
import { createTable, type Table } from '../../lib/store/table';
import { findUserByEmail, getUser } from '../../lib/store/users';
import { type OidcDevProvider, startOidcDevProvider } from '../../scripts/oidc-dev';
import { freePort } from '../../scripts/local-proxy';
import { testAccountConfig } from '../support/account-config';
import { interceptedTable } from '../support/injection';
import { newUser, uniqueName } from '../support/data';
import { testKeySet } from '../support/keys';
import { recordingMailQueue } from '../support/mail';
import { Secret, TOTP } from 'otpauth';

// Social sign-in against the local OpenID provider `dev` (scripts/oidc-dev.ts, in this process, on
// loopback) and the real openid-client checks, with DynamoDB Local. The browser's part is played by
// fetch: it follows the redirect to the provider, which answers at once (no form) with a code for the
// email given as login_hint. A second provider `dev2` lets a user have two identities.
const PAGE = 'http://localhost:8081/oauth/callback';
let clock = new Date('2026-06-01T12:00:00Z');
let dev: OidcDevProvider;
let dev2: OidcDevProvider;
let deps: FederationDeps & FederatedSignInDeps & MailingDeps & MfaDeps & SecondFactorDeps;
let keys: Awaited<ReturnType<typeof testKeySet>>['keys'];

beforeAll(async () => {
  dev = await startOidcDevProvider({ port: await freePort() });
  dev2 = await startOidcDevProvider({ port: await freePort() });
  const providers = [
    { id: 'dev', name: 'Dev', issuer: dev.issuer, clientId: dev.clientId, scopes: ['openid', 'email', 'profile'] },
    { id: 'dev2', name: 'Dev 2', issuer: dev2.issuer, clientId: dev2.clientId, scopes: ['openid', 'email'] },
  ];
  keys = (await testKeySet()).keys;
  deps = {
    table: createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT }),
    keys: { ...keys, dataKey: new Uint8Array(32).fill(7) },
    now: () => clock,
    client: { userAgent: 'jest', ip: '127.0.0.1' },
    mail: recordingMailQueue(),
    config: {
      ...testAccountConfig,
      oidcProviders: providers,
      oauthRedirectUrls: [PAGE],
      serviceUrl: 'http://localhost:8080',
      authCookieName: 'jwt_session',
    },
    providers: providerDirectory(providers, { kind: 'inline', value: JSON.stringify({ dev: dev.clientSecret, dev2: dev2.clientSecret }) }),
  } as typeof deps;
});
afterAll(async () => {
  deps.table.client.destroy();
  await dev?.stop();
  await dev2?.stop();
});
beforeEach(() => {
  dev.tamperIdToken = undefined;
  dev.codeTtlSeconds = 60;
  clock = new Date(clock.getTime() + 3600_000);
});

/**
 * The table, where the first two transactions are held until both are sent: two removals that each
 * counted (read) what is left before either wrote, the interleaving a race must survive.
 */
function bothAtTheirWrite(table: Table): Table {
  let arrived = 0;
  let release: () => void = () => undefined;
  const bothThere = new Promise<void>((resolve) => {
    release = resolve;
  });
  return interceptedTable(table, async (command) => {
    if (!(command instanceof TransactWriteCommand)) return;
    arrived += 1;
    if (arrived === 2) release();
    if (arrived <= 2) await bothThere;
  });
}

/** The caller of a fresh password sign-in (a live session, as a link needs). */
async function callerOf(input: { username: string; password: string }): Promise<{ userId: string; sessionId: string }> {
  const signedIn = await signIn(deps, input);
  if ('mfaRequired' in signedIn) throw new Error('unexpected MFA step');
  const claims = await verifyAccessToken(keys, signedIn.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock });
  return { userId: claims.userId, sessionId: claims.sessionId };
}

/** What the page gets in its fragment: `code`, or `error` and `message`, or `linked`. */
type Fragment = Record<string, string>;

/** The browser's round trip: our start, the provider (no form), our callback. Answers the page's fragment. */
async function roundTrip(
  email: string,
  options: { provider?: string; binding?: (own: string) => string; linkTicket?: string; replay?: boolean } = {},
): Promise<Fragment> {
  const provider = options.provider ?? 'dev';
  const start = await startAuthorization(deps, { providerId: provider, redirectUri: PAGE, loginHint: email, linkTicket: options.linkTicket });
  const atProvider = await fetch(start.location, { redirect: 'manual' });
  expect(atProvider.status).toBe(302);
  const back = new URL(atProvider.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(`http://localhost:8080/api/auth/oauth/${provider}/callback`);
  const query = Object.fromEntries(back.searchParams);
  const binding = options.binding ? options.binding(start.binding) : start.binding;
  const outcome = await finishCallback(deps, provider, query, binding);
  if (options.replay) await expect(finishCallback(deps, provider, query, binding)).rejects.toThrow(BadRequestError);
  const location = new URL(outcome.location);
  expect(`${location.origin}${location.pathname}`).toBe(PAGE);
  return Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
}

const newEmail = (tag = '') => `${uniqueName('fed')}${tag}@example.com`;

async function signedInWithCode(code: string) {
  const outcome = await signInWithCode(deps, code);
  if ('mfaRequired' in outcome) throw new Error('unexpected MFA step');
  return outcome;
}

describe('a first social sign-in', () => {
  it('makes an account for a verified email: no password, email verified, a username from the email, identity linked', async () => {
    const email = newEmail();
    const fragment = await roundTrip(email);
    expect(Object.keys(fragment)).toEqual(['code']);
    const signedIn = await signedInWithCode(fragment.code!);
    const user = await findUserByEmail(deps.table, email);
    expect(user).toMatchObject({ email, emailVerified: true, passwordHash: NO_PASSWORD, roles: ['user'], username: email.split('@')[0] });
    expect(signedIn.user.id).toBe(user!.id);
    const claims = await verifyAccessToken(keys, signedIn.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock });
    expect(claims.userId).toBe(user!.id);
    expect((await ownIdentities(deps, user!.id)).identities).toEqual([
      { provider: 'dev', subject: expect.stringMatching(/\S/), email, linkedAt: expect.any(String) },
    ]);
    const types = (await listEvents(deps.table, user!.id, 10, undefined, new Uint8Array(32))).events.map((event) => event.type);
    expect(types.sort()).toEqual(['identity.link', 'signin.federated']);
  });

  it('signs the same identity in again to the same account', async () => {
    const email = newEmail();
    const first = await signedInWithCode((await roundTrip(email)).code!);
    const second = await signedInWithCode((await roundTrip(email)).code!);
    expect(second.user.id).toBe(first.user.id);
  });

  it.each([
    ['the provider says the email is not verified', (email: string) => email.replace('@', '+unverified@'), undefined],
    ['email_verified is the string "false"', (email: string) => email, (claims: Record<string, unknown>) => (claims.email_verified = 'false')],
    ['email_verified is missing', (email: string) => email, (claims: Record<string, unknown>) => delete claims.email_verified],
  ])('makes no account when %s', async (_, address, tamper) => {
    const email = address(newEmail());
    dev.tamperIdToken = tamper;
    expect(await roundTrip(email)).toEqual({ error: 'email_unverified', message: expect.stringContaining('not verified') });
    expect(await findUserByEmail(deps.table, email)).toBeUndefined();
  });

  it('takes email_verified as the string "true" (some providers send strings)', async () => {
    const email = newEmail();
    dev.tamperIdToken = (claims: Record<string, unknown>) => {
      claims.email_verified = 'true';
    };
    expect(Object.keys(await roundTrip(email))).toEqual(['code']);
  });

  it('never links to an account that uses the email, even an unverified one: the pre-registration takeover', async () => {
    // The attacker signs up first with the victim's address (never verified) and a password they know.
    const email = newEmail();
    const attacker = { username: uniqueName('atk'), email, password: 'attacker password 1' };
    await signUp(deps, attacker, undefined);
    const before = await findUserByEmail(deps.table, email);
    // The victim's first social sign-in must not hand them (or their identity) that account.
    expect(await roundTrip(email)).toEqual({
      error: 'account_exists',
      message: 'An account already uses this email. Sign in and link this provider from your account.',
    });
    expect((await ownIdentities(deps, before!.id)).identities).toEqual([]);
    expect(await findUserByEmail(deps.table, email)).toEqual(before);
    // And the attacker's password still only opens the attacker's own, unlinked account.
    const attackerIn = await signIn(deps, { username: attacker.username, password: attacker.password });
    expect('mfaRequired' in attackerIn ? undefined : attackerIn.user.id).toBe(before!.id);
  });
});

describe('the callback refuses', () => {
  it('a replayed state (single use)', async () => {
    expect(Object.keys(await roundTrip(newEmail(), { replay: true }))).toEqual(['code']);
  });

  it('another browser than the one that started (binding cookie)', async () => {
    expect(await roundTrip(newEmail(), { binding: () => 'not-the-browser-that-started' })).toMatchObject({ error: 'signin_failed' });
    expect(await roundTrip(newEmail(), { binding: () => '' })).toMatchObject({ error: 'signin_failed' });
  });

  it('a state older than 10 minutes', async () => {
    const start = await startAuthorization(deps, { providerId: 'dev', redirectUri: PAGE, loginHint: newEmail() });
    const back = new URL((await fetch(start.location, { redirect: 'manual' })).headers.get('location')!);
    clock = new Date(clock.getTime() + 601_000);
    await expect(finishCallback(deps, 'dev', Object.fromEntries(back.searchParams), start.binding)).rejects.toThrow('Sign-in state is invalid or has expired.');
  });

  it("another provider's state", async () => {
    const start = await startAuthorization(deps, { providerId: 'dev', redirectUri: PAGE, loginHint: newEmail() });
    const back = new URL((await fetch(start.location, { redirect: 'manual' })).headers.get('location')!);
    await expect(finishCallback(deps, 'dev2', Object.fromEntries(back.searchParams), start.binding)).rejects.toThrow(BadRequestError);
  });

  it.each([
    ['another issuer', (claims: Record<string, unknown>) => (claims.iss = 'http://127.0.0.1:1')],
    ['another audience', (claims: Record<string, unknown>) => (claims.aud = 'someone-else')],
    ['another nonce', (claims: Record<string, unknown>) => (claims.nonce = 'not-ours')],
    ['an expired ID token', (claims: Record<string, unknown>) => (claims.exp = Math.floor(Date.now() / 1000) - 3600)],
  ])('an ID token of %s', async (_, tamper) => {
    const email = newEmail();
    dev.tamperIdToken = tamper;
    expect(await roundTrip(email)).toMatchObject({ error: 'signin_failed' });
    expect(await findUserByEmail(deps.table, email)).toBeUndefined();
  });

  it("a provider's code that expired before the exchange", async () => {
    dev.codeTtlSeconds = 0;
    expect(await roundTrip(newEmail())).toMatchObject({ error: 'signin_failed' });
  });

  it("the provider's error, passed on as a code the page can show", async () => {
    const start = await startAuthorization(deps, { providerId: 'dev', redirectUri: PAGE, loginHint: newEmail() });
    const state = new URL(start.location).searchParams.get('state')!;
    const outcome = await finishCallback(deps, 'dev', { state, error: 'access_denied' }, start.binding);
    expect(Object.fromEntries(new URLSearchParams(new URL(outcome.location).hash.slice(1)))).toEqual({
      error: 'access_denied',
      message: 'The sign-in was cancelled at the provider.',
    });
  });
});

describe('the start', () => {
  it('stores, under the SHA-256 of the state, the PKCE verifier of the S256 challenge it sends, the nonce it sends and the binding, for 10 minutes', async () => {
    const start = await startAuthorization(deps, { providerId: 'dev', redirectUri: PAGE, loginHint: 'a@example.com' });
    const url = new URL(start.location);
    const state = url.searchParams.get('state')!;
    const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
    const { Item: item } = await deps.table.client.send(
      new GetCommand({ TableName: deps.table.name, Key: itemKeys.oauthState(sha256(state)), ConsistentRead: true }),
    );
    expect(item).toBeDefined();
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: dev.clientId,
      response_type: 'code',
      redirect_uri: 'http://localhost:8080/api/auth/oauth/dev/callback',
      scope: 'openid email profile',
      state,
      nonce: item!.nonce,
      code_challenge: sha256(item!.codeVerifier),
      code_challenge_method: 'S256',
      login_hint: 'a@example.com',
    });
    expect(item!.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(item).toMatchObject({ provider: 'dev', redirectUri: PAGE, bindingHash: sha256(start.binding), purpose: { kind: 'signin' } });
    expect(item!.expiresAt).toBe(Math.floor(clock.getTime() / 1000) + 600);
    expect(JSON.stringify(item)).not.toContain(state);
    expect(JSON.stringify(item)).not.toContain(start.binding);
  });
});

describe('the start refuses', () => {
  it('a page not on the allow-list, compared exactly (no open redirect)', async () => {
    for (const redirectUri of [`${PAGE}/`, `${PAGE}?next=x`, 'http://evil.example/oauth/callback', 'http://localhost:8081/oauth/callbackx']) {
      await expect(startAuthorization(deps, { providerId: 'dev', redirectUri })).rejects.toThrow('redirect_uri is not allowed.');
    }
  });

  it('a provider whose discovery document names another issuer (503, and it is asked again next time)', async () => {
    // `localhost` for the issuer the provider calls 127.0.0.1: openid-client's discovery refuses it.
    const wrong = [{ id: 'dev', name: 'Dev', issuer: dev.issuer.replace('127.0.0.1', 'localhost'), clientId: dev.clientId, scopes: ['openid'] }];
    const misconfigured = { ...deps, providers: providerDirectory(wrong, { kind: 'inline', value: JSON.stringify({ dev: dev.clientSecret }) }) };
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(startAuthorization(misconfigured, { providerId: 'dev', redirectUri: PAGE })).rejects.toMatchObject({ status: 503 });
      }
      expect(error.mock.calls.map(([message]) => message)).toEqual(['OpenID provider discovery failed', 'OpenID provider discovery failed']);
    } finally {
      error.mockRestore();
    }
  });

  it('a provider that is not configured (404)', async () => {
    await expect(startAuthorization(deps, { providerId: 'nope', redirectUri: PAGE })).rejects.toMatchObject({ status: 404, message: 'Provider not found.' });
  });
});

describe('the one-time code', () => {
  it('is single use', async () => {
    const { code } = await roundTrip(newEmail());
    await signedInWithCode(code!);
    await expect(signInWithCode(deps, code!)).rejects.toThrow('Sign-in code is invalid or has expired.');
  });

  it('dies at 60 seconds', async () => {
    const { code } = await roundTrip(newEmail());
    clock = new Date(clock.getTime() + 60_000);
    await expect(signInWithCode(deps, code!)).rejects.toThrow('Sign-in code is invalid or has expired.');
  });

  it('gives a user with MFA on the second-factor step, not a session', async () => {
    // MFA needs the password: a password user turns it on, then links an identity and signs in with it.
    const input = newUser('fedmfa');
    await signUp(deps, input, undefined);
    const first = await signIn(deps, input);
    if ('mfaRequired' in first) throw new Error('unexpected MFA step');
    const caller = await verifyAccessToken(keys, first.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock });
    const { secret } = await setupTotp(deps, caller, input.password, '127.0.0.1');
    await confirmTotp(deps, caller, new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: clock.getTime() }));
    const email = newEmail();
    const { url } = await startLink(deps, caller, { providerId: 'dev', password: input.password, redirectUri: PAGE });
    expect(await roundTrip(email, { linkTicket: new URL(url).searchParams.get('link')! })).toEqual({ linked: 'dev' });
    const outcome = await signInWithCode(deps, (await roundTrip(email)).code!);
    expect(outcome).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery'] });
    // The second step remembers the provider as the first factor.
    if (!('mfaRequired' in outcome)) throw new Error('expected the MFA step');
    clock = new Date(clock.getTime() + 30_000);
    const signedIn = await verifySecondFactor(deps, {
      mfaToken: outcome.mfaToken,
      code: new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: clock.getTime() }),
    });
    expect(decodeJwt(signedIn.accessToken).amr).toEqual(['fed', 'otp', 'mfa']);
  });
});

describe('linking', () => {
  async function passwordUser() {
    const input = newUser('fedlink');
    await signUp(deps, input, undefined);
    const user = (await findUserByEmail(deps.table, input.email))!;
    return { input, user };
  }

  async function link(caller: { userId: string; sessionId: string }, password: string, email: string, provider = 'dev') {
    const { url } = await startLink(deps, caller, { providerId: provider, password, redirectUri: PAGE });
    const ticket = new URL(url).searchParams.get('link')!;
    expect(new URL(url).pathname).toBe(`/api/auth/oauth/${provider}/authorize`);
    return roundTrip(email, { provider, linkTicket: ticket });
  }

  it('links an identity to the signed-in user after the password, and then signs in with it to that user', async () => {
    const { input, user } = await passwordUser();
    // The provider's email need not be the account's: the user proved both.
    const providerEmail = newEmail();
    expect(await link(await callerOf(input), input.password, providerEmail)).toEqual({ linked: 'dev' });
    expect((await ownIdentities(deps, user.id)).identities.map((identity) => identity.provider)).toEqual(['dev']);
    expect((await signedInWithCode((await roundTrip(providerEmail)).code!)).user.id).toBe(user.id);
  });

  it('refuses a wrong password (401) and links nothing', async () => {
    const { input, user } = await passwordUser();
    await expect(startLink(deps, await callerOf(input), { providerId: 'dev', password: 'wrong password!', redirectUri: PAGE })).rejects.toMatchObject({
      status: 401,
    });
    expect((await ownIdentities(deps, user.id)).identities).toEqual([]);
  });

  it("refuses an identity that is another user's", async () => {
    const email = newEmail();
    const owner = (await signedInWithCode((await roundTrip(email)).code!)).user;
    const { input, user } = await passwordUser();
    expect(await link(await callerOf(input), input.password, email)).toMatchObject({ error: 'identity_in_use' });
    expect((await ownIdentities(deps, user.id)).identities).toEqual([]);
    expect(await identityOwner(deps.table, 'dev', (await ownIdentities(deps, owner.id)).identities[0]!.subject)).toBe(owner.id);
  });

  it('links nothing once the session that asked has ended (signed out or revoked meanwhile)', async () => {
    const { input, user } = await passwordUser();
    const caller = await callerOf(input);
    const { url } = await startLink(deps, caller, { providerId: 'dev', password: input.password, redirectUri: PAGE });
    const { revokeSession } = await import('../../lib/store/sessions');
    expect(await revokeSession(deps.table, caller.userId, caller.sessionId, clock.toISOString())).toBe(true);
    expect(await roundTrip(newEmail(), { linkTicket: new URL(url).searchParams.get('link')! })).toMatchObject({ error: 'signin_failed' });
    expect((await ownIdentities(deps, user.id)).identities).toEqual([]);
  });

  it('uses a link ticket once', async () => {
    const { input } = await passwordUser();
    const { url } = await startLink(deps, await callerOf(input), { providerId: 'dev', password: input.password, redirectUri: PAGE });
    const ticket = new URL(url).searchParams.get('link')!;
    await startAuthorization(deps, { providerId: 'dev', redirectUri: PAGE, linkTicket: ticket });
    await expect(startAuthorization(deps, { providerId: 'dev', redirectUri: PAGE, linkTicket: ticket })).rejects.toThrow(BadRequestError);
  });
});

describe('linking without a password (an account a social sign-in made)', () => {
  async function passwordless() {
    const email = newEmail();
    const signedIn = await signedInWithCode((await roundTrip(email)).code!);
    const claims = await verifyAccessToken(keys, signedIn.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock });
    return { user: signedIn.user, caller: { userId: claims.userId, sessionId: claims.sessionId } };
  }

  it('takes a fresh sign-in (5 minutes) in place of the password', async () => {
    const { user, caller } = await passwordless();
    clock = new Date(clock.getTime() + 299_000);
    const { url } = await startLink(deps, caller, { providerId: 'dev2', password: undefined, redirectUri: PAGE });
    expect(await roundTrip(newEmail(), { provider: 'dev2', linkTicket: new URL(url).searchParams.get('link')! })).toEqual({ linked: 'dev2' });
    expect((await ownIdentities(deps, user.id)).identities.map((identity) => identity.provider).sort()).toEqual(['dev', 'dev2']);
  });

  it('refuses a session older than that (401), and any password (the account has none)', async () => {
    const { caller } = await passwordless();
    clock = new Date(clock.getTime() + 301_000);
    await expect(startLink(deps, caller, { providerId: 'dev2', password: undefined, redirectUri: PAGE })).rejects.toMatchObject({
      status: 401,
      message: 'Please sign in again to link a provider.',
    });
    await expect(startLink(deps, caller, { providerId: 'dev2', password: 'any password at all', redirectUri: PAGE })).rejects.toMatchObject({ status: 401 });
  });

  it('still asks an account that has a password for it (400 without)', async () => {
    const input = newUser('fedpw');
    await signUp(deps, input, undefined);
    const first = await signIn(deps, input);
    if ('mfaRequired' in first) throw new Error('unexpected MFA step');
    const claims = await verifyAccessToken(keys, first.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock });
    await expect(startLink(deps, claims, { providerId: 'dev', password: undefined, redirectUri: PAGE })).rejects.toMatchObject({
      status: 400,
      message: 'password is required',
    });
  });
});

describe('unlinking', () => {
  it('unlinks an identity of a user who has a password', async () => {
    const input = newUser('fedun');
    await signUp(deps, input, undefined);
    const user = (await findUserByEmail(deps.table, input.email))!;
    const email = newEmail();
    const { url } = await startLink(deps, await callerOf(input), { providerId: 'dev', password: input.password, redirectUri: PAGE });
    await roundTrip(email, { linkTicket: new URL(url).searchParams.get('link')! });
    await unlinkOwnIdentity(deps, user.id, 'dev');
    expect((await ownIdentities(deps, user.id)).identities).toEqual([]);
    // The identity is free again: a sign-in with it now meets the email rules (here: a new account).
    expect((await signedInWithCode((await roundTrip(email)).code!)).user.id).not.toBe(user.id);
  });

  it("refuses to unlink a passwordless user's last way to sign in (409)", async () => {
    const user = (await signedInWithCode((await roundTrip(newEmail())).code!)).user;
    await expect(unlinkOwnIdentity(deps, user.id, 'dev')).rejects.toThrow(ConflictError);
    expect((await ownIdentities(deps, user.id)).identities).toHaveLength(1);
    await expect(unlinkOwnIdentity(deps, user.id, 'dev2')).rejects.toMatchObject({ status: 404 });
  });

  it('of two unlinks racing on a passwordless user with two identities, exactly one succeeds', async () => {
    // No password, so linking a second identity goes through the store directly (a real link needs the password).
    const email = newEmail();
    const user = (await signedInWithCode((await roundTrip(email)).code!)).user;
    const { linkIdentity } = await import('../../lib/store/identities');
    expect(
      await linkIdentity(
        deps.table,
        { userId: user.id, provider: 'dev2', subject: `s-${uniqueName()}`, email, linkedAt: clock.toISOString() },
        user.credVersion,
      ),
    ).toBe('done');
    const racing = { ...deps, table: bothAtTheirWrite(deps.table) };
    const outcomes = await Promise.allSettled([unlinkOwnIdentity(racing, user.id, 'dev'), unlinkOwnIdentity(racing, user.id, 'dev2')]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: expect.any(ConflictError) });
    expect((await ownIdentities(deps, user.id)).identities).toHaveLength(1);
  });
});

describe("a passwordless user's last way to sign in, across kinds", () => {
  // A passwordless account cannot register a passkey through the API (that asks for the password), so the
  // passkey is stored directly: the rule is about what is left, whatever the kinds.
  async function withIdentityAndPasskey() {
    const user = (await signedInWithCode((await roundTrip(newEmail())).code!)).user;
    const passkeyId = `pk-${uniqueName()}`;
    const { addPasskey } = await import('../../lib/store/passkeys');
    const stored = await addPasskey(
      deps.table,
      {
        id: passkeyId,
        userId: user.id,
        publicKey: 'AA',
        counter: 0,
        transports: [],
        backedUp: false,
        name: 'k',
        createdAt: clock.toISOString(),
        lastUsedAt: null,
      },
      user.credVersion,
    );
    expect(stored).toBe('done');
    return { user, passkeyId };
  }

  it('lets either go while the other stays, and refuses the last one (409)', async () => {
    const { removeUserPasskey } = await import('../../lib/passkeys/manage');
    const { user, passkeyId } = await withIdentityAndPasskey();
    await removeUserPasskey(deps, user.id, passkeyId);
    await expect(unlinkOwnIdentity(deps, user.id, 'dev')).rejects.toThrow('This is your last way to sign in');
    const other = await withIdentityAndPasskey();
    await unlinkOwnIdentity(deps, other.user.id, 'dev');
    await expect(removeUserPasskey(deps, other.user.id, other.passkeyId)).rejects.toThrow(ConflictError);
    // An admin may remove it: the user can still set a password with a reset link.
    await removeUserPasskey(deps, other.user.id, other.passkeyId, 'some-admin-id');
  });

  it('of a passkey removal and an unlink racing, exactly one succeeds', async () => {
    const { removeUserPasskey } = await import('../../lib/passkeys/manage');
    const { listPasskeys } = await import('../../lib/store/passkeys');
    const { user, passkeyId } = await withIdentityAndPasskey();
    const racing = { ...deps, table: bothAtTheirWrite(deps.table) };
    const outcomes = await Promise.allSettled([removeUserPasskey(racing, user.id, passkeyId), unlinkOwnIdentity(racing, user.id, 'dev')]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: expect.any(ConflictError) });
    const left = (await ownIdentities(deps, user.id)).identities.length + (await listPasskeys(deps.table, user.id)).length;
    expect(left).toBe(1);
  });
});

describe('deleting a user', () => {
  it("deletes its identities: the identity is nobody's afterwards", async () => {
    const email = newEmail();
    const user = (await signedInWithCode((await roundTrip(email)).code!)).user;
    const subject = (await ownIdentities(deps, user.id)).identities[0]!.subject;
    await deleteUser(deps, user.id);
    expect(await identityOwner(deps.table, 'dev', subject)).toBeUndefined();
    expect(await getUser(deps.table, user.id)).toBeUndefined();
  });
});

describe('the linking rules, on claims alone', () => {
  it('refuse a provider that shares no email', async () => {
    expect(await accountForIdentity(deps, { provider: 'dev', subject: uniqueName(), email: undefined, emailVerified: true })).toEqual({
      kind: 'refused',
      reason: 'no_email',
    });
  });
});
