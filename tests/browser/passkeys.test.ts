import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { newUser } from '../support/data';

// Passkeys in a real browser: the cookie client's page plus app/passkeys.js (@simplewebauthn/browser,
// bundled by esbuild in global-setup.ts), in headless Chromium whose authenticator is the DevTools
// protocol's virtual one: a platform authenticator (internal) holding discoverable credentials, which
// verifies its user. The page is on http://localhost (a secure context, the RP id `localhost` is its
// host), and the stack's WEBAUTHN_ORIGINS is that page's origin. A failing flow leaves a screenshot in
// tests/browser/screenshots/.
const ORIGIN = process.env.BROWSER_APP_ORIGIN!;
const API = process.env.BROWSER_API_URL!;
type Result = { status: number; text: string };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.BROWSER_CHROMIUM,
    // As root in a container: no sandbox; and none of Chromium's own calls home (this network is closed).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** A virtual platform authenticator for this page: CTAP2, internal, resident keys, user verified. */
async function virtualAuthenticator(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return { cdp, authenticatorId };
}

/** Runs a flow in a fresh browser profile on the passkeys page with its authenticator; a screenshot if it fails. */
async function flow(run: (page: Page, context: BrowserContext, authenticator: { cdp: CDPSession; authenticatorId: string }) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const authenticator = await virtualAuthenticator(context, page);
    await page.goto(`${ORIGIN}/passkeys.html`);
    await run(page, context, authenticator);
  } catch (error) {
    const dir = join(__dirname, 'screenshots');
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'passkeys.png'), fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
  }
}

const app = {
  signUp: (page: Page, user: { username: string; email: string; password: string }) =>
    page.evaluate((u) => (globalThis as unknown as InPage).app.signUp(u.username, u.email, u.password), user),
  signIn: (page: Page, user: { username: string; password: string }) =>
    page.evaluate((u) => (globalThis as unknown as InPage).app.signIn(u.username, u.password), user),
  profile: (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).app.profile()),
  content: (page: Page, which: string) => page.evaluate((w) => (globalThis as unknown as InPage).app.content(w), which),
  signOut: (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).app.signOut()),
  registerPasskey: (page: Page, password: string, name: string) =>
    page.evaluate(([p, n]) => (globalThis as unknown as InPage).app.passkeys.register(p, n), [password, name] as const),
  signInWithPasskey: (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).app.passkeys.signIn()),
  passkeys: (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).app.passkeys.list()),
};

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { id: string; amr?: string[] };
const sessionCookie = async (context: BrowserContext) => (await context.cookies(API)).find((c) => c.name === 'jwt_session');
const noToken: Result = { status: 401, text: '{"message":"No token provided!"}' };

describe('passkeys in Chromium (@simplewebauthn/browser, virtual authenticator, cookie client)', () => {
  it('registers a passkey with the password, then signs in with it usernameless: amr hwk+user+mfa, the cookie reaches a protected route', () =>
    flow(async (page, context, { cdp, authenticatorId }) => {
      // Given a user signed in with the password (cookie session).
      const user = newUser('pk');
      expect(await app.signUp(page, user)).toEqual({ status: 200, text: '{"message":"User was registered successfully!"}' });
      const signedIn = await app.signIn(page, user);
      expect(signedIn.status).toBe(200);
      expect(claims(JSON.parse(signedIn.text).accessToken).amr).toEqual(['pwd']);
      const userId = claims(JSON.parse(signedIn.text).accessToken).id;

      // When they register a passkey: the password, the authenticator's new credential, the service's check.
      const registered = await app.registerPasskey(page, user.password, 'This laptop');
      expect(registered.status).toBe(200);
      const passkey = JSON.parse(registered.text) as { id: string; name: string; createdAt: string };
      expect(passkey.name).toBe('This laptop');
      // The authenticator holds it as a discoverable credential for our RP id, for this user (the user handle).
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials).toHaveLength(1);
      const credential = credentials[0]!;
      expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
      expect(Buffer.from(credential.credentialId, 'base64').toString('base64url')).toBe(passkey.id);
      expect(Buffer.from(credential.userHandle!, 'base64').toString()).toBe(userId);
      const listed = JSON.parse((await app.passkeys(page)).text) as { passkeys: Array<Record<string, unknown>> };
      expect(listed.passkeys).toEqual([expect.objectContaining({ id: passkey.id, name: 'This laptop', createdAt: passkey.createdAt, lastUsedAt: null })]);

      // And sign out: the cookie goes, and so does access.
      expect((await app.signOut(page)).status).toBe(200);
      expect(await sessionCookie(context)).toBeUndefined();
      expect(await app.profile(page)).toEqual(noToken);

      // Then a usernameless passkey sign-in opens a session: two factors (the device and its user's PIN or
      // biometrics), the cookie set, and the protected routes answer to it alone (the cookie client sends
      // no token header).
      const byPasskey = await app.signInWithPasskey(page);
      expect(byPasskey.status).toBe(200);
      const body = JSON.parse(byPasskey.text) as { accessToken: string; username: string };
      expect(body.username).toBe(user.username);
      expect(claims(body.accessToken)).toMatchObject({ id: userId, amr: ['hwk', 'user', 'mfa'] });
      expect(await sessionCookie(context)).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(JSON.parse((await app.profile(page)).text)).toMatchObject({ username: user.username });
      expect(await app.content(page, 'user')).toEqual({ status: 200, text: 'User Content.' });
      // The authenticator signed once, and the service records the use.
      const [used] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
      expect(used!.signCount).toBeGreaterThan(credential.signCount);
      const after = JSON.parse((await app.passkeys(page)).text) as { passkeys: Array<{ id: string; lastUsedAt: string | null }> };
      expect(after.passkeys).toEqual([expect.objectContaining({ id: passkey.id, lastUsedAt: expect.any(String) })]);
    }));
});

/** What the passkeys page defines (tests/browser/app/client.js and passkeys.js), as seen from page.evaluate. */
interface InPage {
  app: {
    signUp(username: string, email: string, password: string): Promise<Result>;
    signIn(username: string, password: string): Promise<Result>;
    profile(): Promise<Result>;
    content(page: string): Promise<Result>;
    signOut(): Promise<Result>;
    passkeys: {
      register(password: string, name: string): Promise<Result>;
      signIn(): Promise<Result>;
      list(): Promise<Result>;
    };
  };
}
