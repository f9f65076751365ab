import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { inFreshProfile, launchChromium, noToken, type PageApp, pageApp, type Result, virtualAuthenticator } from './page-driver';
import { newUser } from '../support/data';

// Passkeys in a real browser: the cookie client's page plus app/passkeys.js (@simplewebauthn/browser,
// bundled by esbuild in global-setup.ts), in headless Chromium whose authenticator is the DevTools
// protocol's virtual one: a platform authenticator (internal) holding discoverable credentials, which
// verifies its user. The page is on http://localhost (a secure context, the RP id `localhost` is its
// host), and the stack's WEBAUTHN_ORIGINS is that page's origin. A failing flow leaves a screenshot in
// tests/browser/screenshots/.
const ORIGIN = process.env.BROWSER_APP_ORIGIN!;
const API = process.env.BROWSER_API_URL!;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Runs a flow in a fresh browser profile on the passkeys page with its authenticator; a screenshot if it fails. */
function flow(run: (page: Page, context: BrowserContext, authenticator: { cdp: CDPSession; authenticatorId: string }) => Promise<void>): Promise<void> {
  return inFreshProfile(browser, 'passkeys', async (page, context) => {
    const authenticator = await virtualAuthenticator(context, page);
    await page.goto(`${ORIGIN}/passkeys.html`);
    await run(page, context, authenticator);
  });
}

const app = {
  ...pageApp,
  registerPasskey: (page: Page, password: string, name: string) =>
    page.evaluate(([p, n]) => (globalThis as unknown as InPage).app.passkeys.register(p, n), [password, name] as const),
  signInWithPasskey: (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).app.passkeys.signIn()),
  passkeys: (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).app.passkeys.list()),
};

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { id: string; amr?: string[] };
const sessionCookie = async (context: BrowserContext) => (await context.cookies(API)).find((c) => c.name === 'jwt_session');

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
  app: PageApp & {
    passkeys: {
      register(password: string, name: string): Promise<Result>;
      signIn(): Promise<Result>;
      list(): Promise<Result>;
    };
  };
}
