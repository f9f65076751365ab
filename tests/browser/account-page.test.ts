import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { newUser, uniqueName } from '../support/data';
import { accessibilityProblems, API, pageAt, watchPage } from './hosted';
import { inFreshProfile, launchChromium, virtualAuthenticator } from './page-driver';

// The account page (web/pages/account.html, web/src/pages/account.ts) served by the stack at
// /auth/account, driven in Chromium as a person would: signed in on the hosted sign-in page (cookie
// session, no token in the page), then each part of the page. The tier's sessions live 40 s
// (REFRESH_TOKEN_TTL): each signed-in stretch here is short, or signs in again. Every flow also holds the
// page to its CSP (no violation), no page error, no console error; axe-core finds no serious or critical
// violation in each state. A failing flow leaves tests/browser/screenshots/account-*.png.
const ACCOUNT = pageAt('/auth/account');
const SIGN_IN = pageAt('/auth/sign-in');
const REVOCATION_BOUND_MS = Number(process.env.BROWSER_REVOCATION_BOUND_MS ?? 2000);

type User = ReturnType<typeof newUser>;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function signUp(user: User = newUser('acct')): Promise<User> {
  const response = await fetch(`${API}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  expect(response.status).toBe(200);
  return user;
}

/** The hosted sign-in page, by its labelled fields (and the second step when `code` is given), onto the account page. */
async function signIn(page: Page, user: Pick<User, 'username' | 'password'>, code?: () => string): Promise<void> {
  await page.goto(SIGN_IN);
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (code) {
    await page.getByLabel('Code').fill(code());
    await page.getByRole('button', { name: 'Verify' }).click();
  }
  await page.waitForURL(ACCOUNT);
  await expectText(page.locator('#profile-username'), user.username);
}

/** A locator's text once it has some (the page fills it after its calls). */
async function text(locator: Locator): Promise<string> {
  await locator.filter({ hasText: /\S/ }).waitFor();
  return (await locator.textContent())!.trim();
}

/** The locator says `expected` (waited for: the page fills it after its calls), or the test fails with what it says instead. */
async function expectText(locator: Locator, expected: string): Promise<void> {
  await locator
    .filter({ hasText: expected })
    .waitFor({ timeout: 10_000 })
    .catch(() => undefined);
  expect((await locator.textContent())?.trim()).toBe(expected);
}

const codeAt = (secret: string, offsetSteps = 0) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });

/** Waits until the page's own calls are refused (a session ended by another page: within the revocation bound). */
async function refusedWithin(page: Page, bound = REVOCATION_BOUND_MS + 8000): Promise<void> {
  await page.waitForFunction(async () => (await fetch('api/auth/me', { credentials: 'include' })).status === 401, undefined, { polling: 250, timeout: bound });
}

/**
 * Reloads the page until it goes to sign-in, within the revocation bound: a reload's first call may still
 * meet the authorizer's cached decision, or an answer slowed past its deadline on a loaded machine.
 */
async function reloadUntilSignIn(page: Page, bound = REVOCATION_BOUND_MS + 8000): Promise<void> {
  const deadline = Date.now() + bound;
  while (!page.url().startsWith(SIGN_IN)) {
    if (Date.now() > deadline) throw new Error(`${page.url()} did not go to sign-in within ${bound} ms`);
    await page.reload();
    await page.waitForURL(SIGN_IN, { timeout: 3000 }).catch(() => undefined);
  }
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

describe('the account page (/auth/account)', () => {
  it('sends a visitor who is not signed in to the sign-in page', () =>
    inFreshProfile(browser, 'account-anonymous', async (page) => {
      const watch = await watchPage(page);
      await page.goto(ACCOUNT);
      await page.waitForURL(SIGN_IN);
      expect(watch.problems()).toEqual([]);
    }));

  it('shows the profile; sets up the authenticator app (QR code, key, code) and shows the recovery codes; accessible off, in setup, on, and at 360 px', () =>
    inFreshProfile(browser, 'account-mfa', async (page) => {
      const user = await signUp();
      const watch = await watchPage(page);
      await signIn(page, user);

      // The profile: who, which address (not verified yet: a resend offered), roles, MFA off.
      await expectText(page.locator('#profile-email'), user.email);
      await expectText(page.locator('#profile-verified'), 'No');
      await expectText(page.locator('#profile-roles'), 'user');
      await expectText(page.locator('#profile-mfa'), 'Off');
      await page.getByRole('button', { name: 'Resend the verification email' }).click();
      await expectText(page.locator('#resend-status'), 'If an account uses that email and it is not verified yet, a verification link has been sent.');
      await expectAccessible(page);

      // Setup: a wrong password is the service's message, inline; the right one shows the QR code and the key.
      const setup = page.locator('#totp-setup-form');
      await setup.getByLabel('Password').fill('not the password');
      await setup.getByRole('button', { name: 'Set up an authenticator app' }).click();
      await expectText(setup.getByRole('alert'), 'Current password is incorrect!');
      await setup.getByLabel('Password').fill(user.password);
      await setup.getByRole('button', { name: 'Set up an authenticator app' }).click();
      const secret = (await text(page.locator('#totp-secret'))).replace(/\s/g, '');
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      const qr = page.getByRole('img', { name: 'QR code of your authenticator key' });
      await qr.waitFor();
      // Drawn: a QR code of a URL this long is at least 25 modules wide, and has dark modules.
      expect(await qr.evaluate(drawing)).toEqual({ wide: true, dark: true, light: true });
      await expectAccessible(page);

      // A wrong code is refused inline; the app's code turns MFA on and shows ten recovery codes.
      const confirm = page.locator('#totp-confirm-form');
      await confirm.getByLabel('Code').fill(codeAt(secret, -20));
      await confirm.getByRole('button', { name: 'Turn on' }).click();
      await expectText(confirm.getByRole('alert'), 'Invalid code!');
      await confirm.getByLabel('Code').fill(codeAt(secret));
      await confirm.getByRole('button', { name: 'Turn on' }).click();
      const codes = page.locator('#recovery-codes li');
      await codes.nth(9).waitFor();
      const firstCodes = await codes.allTextContents();
      expect(firstCodes).toHaveLength(10);
      await expectText(page.locator('#profile-mfa'), 'On');
      await expectText(page.locator('#recovery-remaining'), 'Recovery codes left: 10 of 10.');
      expect(await page.locator('#totp-secret').textContent()).toBe('');
      await expectAccessible(page);

      // At 360 px: nothing wider than the screen but the tables' own scrolling boxes, and still accessible.
      await page.setViewportSize({ width: 360, height: 800 });
      expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(360);
      await expectAccessible(page);

      // New recovery codes (the password): another ten.
      const renew = page.locator('#recovery-form');
      await renew.getByLabel('Password').fill(user.password);
      await renew.getByRole('button', { name: 'New recovery codes' }).click();
      await codes.first().filter({ hasNotText: firstCodes[0]! }).waitFor();
      const secondCodes = await codes.allTextContents();
      expect(secondCodes).toHaveLength(10);
      expect(secondCodes.filter((code) => firstCodes.includes(code))).toEqual([]);

      // Signed out, then in again: the sign-in asks the app's next code; then MFA is turned off.
      await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
      await page.waitForURL(SIGN_IN);
      await signIn(page, user, () => codeAt(secret, 1));
      await expectText(page.locator('#profile-mfa'), 'On');
      const off = page.locator('#totp-disable-form');
      await off.getByLabel('Password').fill('not the password');
      await off.getByRole('button', { name: 'Turn off' }).click();
      await expectText(off.getByRole('alert'), 'Current password is incorrect!');
      await off.getByLabel('Password').fill(user.password);
      await off.getByRole('button', { name: 'Turn off' }).click();
      await expectText(page.locator('#mfa-status'), 'MFA was turned off. Your other sessions have ended.');
      await expectText(page.locator('#profile-mfa'), 'Off');
      await expect(page.locator('#totp-setup-form').isVisible()).resolves.toBe(true);
      expect(watch.problems()).toEqual([]);
    }));

  it('asks for an email change; changes the password: a wrong current one is the service message inline (by keyboard), the right one ends every session, this one too', () =>
    inFreshProfile(browser, 'account-password', async (page) => {
      const user = await signUp();
      const watch = await watchPage(page);
      await signIn(page, user);

      // The email change: the password, then a link to the new address (nothing changes until it is opened).
      const change = page.locator('#email-form');
      await change.getByLabel('New email').fill(`${uniqueName('acctnew')}@example.com`);
      await change.getByLabel('Password').fill('not the password');
      await change.getByRole('button', { name: 'Send a confirmation link' }).click();
      await expectText(change.getByRole('alert'), 'Current password is incorrect!');
      await change.getByLabel('Password').fill(user.password);
      await change.getByRole('button', { name: 'Send a confirmation link' }).click();
      await expectText(page.locator('#email-status'), 'A confirmation link has been sent to the new address. Your email changes when it is opened.');
      await expectText(page.locator('#profile-email'), user.email);

      // By keyboard: the labelled fields in order, Enter submits.
      await page.getByLabel('Current password').focus();
      await page.keyboard.type('not the password');
      await page.keyboard.press('Tab');
      await page.keyboard.type('battery staple horse');
      await page.keyboard.press('Enter');
      const form = page.locator('#password-form');
      await expectText(form.getByRole('alert'), 'Current password is incorrect!');
      expect(await page.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');

      await page.getByLabel('Current password').fill(user.password);
      await page.getByLabel('New password').fill('battery staple horse');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expectText(page.locator('#ended-message'), 'Password was changed successfully! Please sign in again.');
      expect(await page.locator('#ended').textContent()).toContain('Every session of your account has ended, this one included.');
      expect(await page.locator('#account').isVisible()).toBe(false);
      await expectAccessible(page);
      await refusedWithin(page);

      await page.getByRole('link', { name: 'Sign in again' }).click();
      await page.waitForURL(SIGN_IN);
      await signIn(page, { username: user.username, password: 'battery staple horse' });
      expect(watch.problems()).toEqual([]);
    }));

  it('lists the sessions, signs out another one (its next call is refused), then signs out everywhere', () =>
    inFreshProfile(browser, 'account-sessions', async (page) => {
      const user = await signUp();
      const other: BrowserContext = await browser.newContext();
      try {
        const otherPage = await other.newPage();
        await signIn(otherPage, user);
        const watch = await watchPage(page);
        await signIn(page, user);

        // Two sessions: this one (no button), and the other with its "Sign out".
        const rows = page.locator('#sessions tr');
        await rows.nth(1).waitFor();
        expect(await rows.count()).toBe(2);
        const current = rows.filter({ hasText: 'This device' });
        expect(await current.count()).toBe(1);
        expect(await current.locator('td').nth(2).textContent()).toMatch(/^Chrome on Linux$/);
        expect(await current.locator('td').nth(3).textContent()).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
        await page
          .locator('#sessions')
          .getByRole('button', { name: /^Sign out Chrome on Linux, signed in / })
          .click();
        await expectText(page.locator('#sessions-status'), 'Session was revoked!');
        expect(await rows.count()).toBe(1);
        expect(await rows.first().textContent()).toContain('This device');

        // The other browser's next call is refused, and its account page goes to sign-in; this one lives on.
        await refusedWithin(otherPage);
        await reloadUntilSignIn(otherPage);
        await page.reload();
        await expectText(page.locator('#profile-username'), user.username);

        // Everywhere: this page goes to sign-in, and the other browser (signed in again) is refused too.
        await signIn(otherPage, user);
        await page.getByRole('button', { name: 'Sign out everywhere' }).click();
        await page.waitForURL(SIGN_IN);
        await refusedWithin(otherPage);
        await page.goto(ACCOUNT);
        await page.waitForURL(SIGN_IN);
        expect(watch.problems()).toEqual([]);
      } finally {
        await other.close();
      }
    }));

  it('adds a passkey with the browser authenticator, renames it and removes it', () =>
    inFreshProfile(browser, 'account-passkeys', async (page, context) => {
      const user = await signUp();
      const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
      const watch = await watchPage(page);
      await signIn(page, user);
      await expectText(page.locator('#passkeys-empty'), 'No passkeys yet.');

      const add = page.locator('#passkey-form');
      await add.getByLabel('Name').fill('This laptop');
      await add.getByLabel('Password').fill('not the password');
      await add.getByRole('button', { name: 'Add a passkey' }).click();
      await expectText(add.getByRole('alert'), 'Current password is incorrect!');
      await add.getByLabel('Password').fill(user.password);
      await add.getByRole('button', { name: 'Add a passkey' }).click();
      await expectText(page.locator('#passkeys-status'), 'The passkey "This laptop" was added.');
      const rows = page.locator('#passkeys tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().locator('td').first().textContent()).toBe('This laptop');
      expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(1);
      await expectAccessible(page);

      await page.getByRole('button', { name: 'Rename This laptop' }).click();
      await page.getByLabel('New name').fill('Work laptop');
      await page.getByRole('button', { name: 'Save' }).click();
      await expectText(page.locator('#passkeys-status'), 'The passkey was renamed.');
      expect(await rows.first().locator('td').first().textContent()).toBe('Work laptop');

      await page.getByRole('button', { name: 'Remove Work laptop' }).click();
      await expectText(page.locator('#passkeys-status'), 'Passkey was removed.');
      expect(await rows.count()).toBe(0);
      expect(await page.locator('#passkeys-empty').isVisible()).toBe(true);
      expect(watch.problems()).toEqual([]);
    }));

  it('links the dev provider through its round trip and unlinks it; the events show it', () =>
    inFreshProfile(browser, 'account-identities', async (page) => {
      const user = await signUp();
      const watch = await watchPage(page);
      await signIn(page, user);
      await expectText(page.locator('#identities-empty'), 'No accounts at other providers are linked.');

      const link = page.locator('#link-form');
      await link.getByLabel('Provider').selectOption('dev');
      await link.getByLabel('Password').fill(user.password);
      const visited: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest()) visited.push(new URL(request.url()).pathname);
      });
      await link.getByRole('button', { name: 'Link' }).click();
      const rows = page.locator('#identities tr');
      await rows.first().waitFor();
      // Our authorize, the provider, our callback, the return page (#linked=dev), and back here.
      expect(visited).toEqual(['/api/auth/oauth/dev/authorize', '/authorize', '/api/auth/oauth/dev/callback', '/auth/oauth-callback', '/auth/account']);
      expect(await rows.first().locator('td').allTextContents()).toEqual(['Dev (local)', user.email, expect.any(String), 'Unlink']);
      // Linked: the form has no provider left to offer.
      expect(await link.isVisible()).toBe(false);

      await page.getByRole('button', { name: 'Unlink Dev (local)' }).click();
      await expectText(page.locator('#identities-status'), 'The identity was unlinked.');
      expect(await rows.count()).toBe(0);
      expect(await link.isVisible()).toBe(true);

      // The events, newest first: the link and the sign-in (a reload reads them again).
      await page.reload();
      const events = page.locator('#events tr');
      await events.nth(2).waitFor();
      const [newest, ...older] = await events.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(newest).toEqual(['Provider unlinked', expect.any(String), expect.stringMatching(/\S/), 'Chrome on Linux']);
      expect(older.map((event) => event[0])).toEqual(expect.arrayContaining(['Provider linked', 'Signed in']));
      expect(watch.problems()).toEqual([]);
    }));

  it('refuses to unlink the last way to sign in of an account made by the provider, with the service message inline', () =>
    inFreshProfile(browser, 'account-last-way', async (page) => {
      const email = `${uniqueName('acctfed')}@example.com`;
      const watch = await watchPage(page);
      const start = new URLSearchParams({ redirect_uri: pageAt('/auth/oauth-callback'), login_hint: email });
      await page.goto(`${API}/api/auth/oauth/dev/authorize?${start}`);
      await page.waitForURL(ACCOUNT);
      await expectText(page.locator('#profile-email'), email);
      await page.getByRole('button', { name: 'Unlink Dev (local)' }).click();
      await expectText(page.locator('#identities-error'), 'This is your last way to sign in: add a password, a passkey or another provider first.');
      expect(await page.locator('#identities tr').count()).toBe(1);
      await expectAccessible(page);
      expect(watch.problems()).toEqual([]);
    }));

  it('pages through the security events with "More", then signs out', () =>
    inFreshProfile(browser, 'account-events', async (page) => {
      const user = await signUp();
      // Eleven sign-ins by the API, then the page's own: twelve events, a page of ten and two more.
      for (let i = 0; i < 11; i++) {
        const response = await fetch(`${API}/api/auth/signin`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'account-page-test' },
          body: JSON.stringify({ username: user.username, password: user.password }),
        });
        expect(response.status).toBe(200);
      }
      const watch = await watchPage(page);
      await signIn(page, user);
      const events = page.locator('#events tr');
      await events.nth(9).waitFor();
      expect(await events.count()).toBe(10);
      expect(await events.first().locator('td').allTextContents()).toEqual(['Signed in', expect.any(String), expect.stringMatching(/\S/), 'Chrome on Linux']);
      expect(await events.nth(9).locator('td').nth(3).textContent()).toBe('account-page-test');
      await page.getByRole('button', { name: 'More' }).click();
      await events.nth(11).waitFor();
      expect(await events.count()).toBe(12);
      await page.getByRole('button', { name: 'More' }).waitFor({ state: 'hidden' });

      await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
      await page.waitForURL(SIGN_IN);
      await page.goto(ACCOUNT);
      await page.waitForURL(SIGN_IN);
      expect(watch.problems()).toEqual([]);
    }));
});

/** The part of HTMLCanvasElement `drawing` reads (this tier's TypeScript has no DOM types). */
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> } } | null;
}

/** Run in the page: the canvas is at least 25 modules wide (a QR code of a URL this long) and has dark and light pixels. */
function drawing(canvas: Canvas): { wide: boolean; dark: boolean; light: boolean } {
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i]! < 128 && data[i + 3]! > 0) dark++;
  return { wide: canvas.width >= 25, dark: dark > 0, light: dark < data.length / 4 };
}
