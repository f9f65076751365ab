import { TOTP } from 'otpauth';
import type { Browser, Locator, Page } from 'playwright-core';
import { createTable } from '../../lib/store/table';
import { newUser, uniqueName } from '../support/data';
import { awaitMails, forgetMailQuota, type StoredMail } from '../support/mail';
import { API, accessibilityProblems, pageAt, watchPage } from './hosted';
import { inFreshProfile, launchChromium } from './page-driver';

// The hosted pages (lib/web/site.ts, web/), as a person uses them in Chromium against the tier's stack:
// the whole way from sign-up to the admin console deleting the account, through every emailed link
// the SES emulator received, with axe-core on every page and no CSP violation, error or console error
// anywhere. A failing flow leaves a screenshot in tests/browser/screenshots/.
const ADMIN = JSON.parse(process.env.BROWSER_ADMIN!) as { username: string; password: string };
const APP_PAGE = `${process.env.BROWSER_APP_ORIGIN}/oauth/callback`;
const table = createTable({ tableName: process.env.E2E_TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.E2E_DYNAMODB_ENDPOINT });

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  table.client.destroy();
});

/** The link of an emailed mail (its text part), as the person clicks it. */
function linkIn(mail: StoredMail): string {
  const link = /(https?:\/\/\S+#token=[A-Za-z0-9_-]+)/.exec(mail.body.text ?? '')?.[1];
  if (!link) throw new Error(`no link in mail "${mail.subject}"`);
  return link;
}

/** Loads `path` and waits until its script has run (the page is quiet on the network). */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(pageAt(path));
  await page.waitForLoadState('networkidle');
}

/** Waits until `locator` shows `text` (a string: exactly, trimmed; a pattern: somewhere in it). */
async function shows(locator: Locator, text: string | RegExp): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
  if (typeof text === 'string') expect((await locator.filter({ hasText: text }).first().textContent())?.trim()).toBe(text);
}

async function expectAccessible(page: Page): Promise<void> {
  expect({ url: new URL(page.url()).pathname, violations: await accessibilityProblems(page) }).toEqual({ url: new URL(page.url()).pathname, violations: [] });
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await open(page, '/auth');
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('hosted pages in Chromium', () => {
  it('sign-up, the verification link, sign-in, TOTP setup, sign-out, sign-in with a code, forgot, reset, and the admin console', async () => {
    const user = newUser('hp');
    await inFreshProfile(browser, 'hosted-pages', async (page) => {
      const watch = await watchPage(page);

      // Sign-up, and its verification mail's link (the hosted verify page: APP_URL is unset here).
      await open(page, '/auth/sign-up');
      await expectAccessible(page);
      await page.getByLabel('Username').fill(user.username);
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await shows(page.getByRole('status'), /User was registered successfully!/);
      const [verification] = await awaitMails(user.email, /Confirm your email/);
      const verifyLink = linkIn(verification!);
      expect(verifyLink.startsWith(`${API}/auth/verify-email#token=`)).toBe(true);
      await page.goto(verifyLink);
      await page.waitForLoadState('networkidle');
      // The token leaves the address bar (and history) as soon as the page has read it.
      expect(page.url()).toBe(`${API}/auth/verify-email`);
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Verify my email' }).click();
      await shows(page.getByRole('status'), 'Email was verified successfully!');

      // A wrong password: the service's own message, inline; then the right one lands on the account page.
      await signIn(page, user.username, 'wrong-password');
      await shows(page.locator('#password-form .error'), 'Invalid username or password!');
      await expectAccessible(page);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${API}/auth/account`);
      await page.waitForLoadState('networkidle');
      await expectAccessible(page);

      // TOTP: the secret as the page shows it, codes computed here.
      await page.locator('#totp-setup-password').fill(user.password);
      await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
      await page.locator('#totp-secret').filter({ hasText: /\S/ }).waitFor();
      const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s+/g, '');
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      await expectAccessible(page);
      const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
      await page.locator('#totp-code').fill(totp.generate());
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.locator('#recovery-codes li').nth(9).waitFor();
      expect(await page.locator('#recovery-codes li').count()).toBe(10);
      await expectAccessible(page);

      // Sign out; sign in again, now with the second factor.
      await page.locator('#sign-out').click();
      await page.waitForURL(/\/auth(\/sign-in)?$/);
      await signIn(page, user.email, user.password);
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
      await expectAccessible(page);
      await page.getByLabel('Code').fill('000000');
      await page.getByRole('button', { name: 'Verify' }).click();
      await shows(page.locator('#mfa-form .error'), 'Invalid code!');
      // A fresh code of the next step (the one used at setup is spent).
      await page.getByLabel('Code').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL(`${API}/auth/account`);
      await page.locator('#sign-out').click();
      await page.waitForURL(/\/auth(\/sign-in)?$/);

      // Forgot: the same answer as for any address; the reset link's page sets a new password.
      await forgetMailQuota(table, user.email);
      await open(page, '/auth/forgot-password');
      await expectAccessible(page);
      await page.getByLabel("Your account's email").fill(user.email);
      await page.getByRole('button', { name: 'Send a reset link' }).click();
      await shows(page.getByRole('status'), 'If an account uses that email, a reset link has been sent.');
      const [reset] = await awaitMails(user.email, /Reset your/);
      const resetLink = linkIn(reset!);
      expect(resetLink.startsWith(`${API}/auth/reset-password#token=`)).toBe(true);
      await page.goto(resetLink);
      await page.waitForLoadState('networkidle');
      expect(page.url()).toBe(`${API}/auth/reset-password`);
      await expectAccessible(page);
      const newPassword = `${user.password}-new`;
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('New password again').fill(`${newPassword}-typo`);
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await shows(page.locator('#reset-form .error'), 'The two passwords differ.');
      await page.getByLabel('New password again').fill(newPassword);
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await shows(page.getByRole('status'), /Password was reset successfully!/);
      // The link is spent: the page says so in the service's words. (From another page: a fragment-only
      // change of the same URL would not load the page again.)
      await page.goto('about:blank');
      await page.goto(resetLink);
      await page.waitForLoadState('networkidle');
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('New password again').fill(newPassword);
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await shows(page.locator('#reset-form .error'), 'Reset token is invalid or has expired.');

      // The admin console: find the user, give them the moderator role, reset their MFA, delete them.
      await signIn(page, ADMIN.username, ADMIN.password);
      await page.waitForURL(`${API}/auth/account`);
      await open(page, '/admin');
      await expectAccessible(page);
      await page.getByLabel('Username or email starts with').fill(user.username);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText('Page 1: 1 user.').waitFor();
      await page.getByRole('button', { name: user.username, exact: true }).click();
      await page.getByRole('heading', { level: 2, name: user.username, exact: true }).waitFor();
      expect(await page.locator('#mfa-state').textContent()).toMatch(/^On/);
      await expectAccessible(page);
      await page.getByLabel('Moderator').check();
      await page.getByRole('button', { name: 'Save roles' }).click();
      await page.getByText("Roles saved: user, moderator. The user's sessions ended.").waitFor();
      await page.getByRole('button', { name: 'Reset MFA', exact: true }).click();
      await page.getByRole('button', { name: 'Yes, reset MFA' }).click();
      await page.getByText("The user's MFA was reset.").waitFor();
      expect(await page.locator('#mfa-state').textContent()).toBe('Off.');
      await page.getByRole('button', { name: 'Delete user…' }).click();
      await page.locator('#delete-confirm').fill(user.username);
      await page.getByRole('button', { name: 'Delete user', exact: true }).click();
      await page.getByText('User was deleted successfully!').waitFor();

      expect(watch.problems()).toEqual([]);
    });
    // The account is gone: its new password signs in no more.
    const signInAgain = await fetch(`${API}/api/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: `${user.password}-new` }),
    });
    expect(signInAgain.status).toBe(401);
  });

  it('goes back to an allowed app URL after sign-in, and to the account page for any other', async () => {
    const user = newUser('hpret');
    const signUp = await fetch(`${API}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(signUp.status).toBe(200);
    await inFreshProfile(browser, 'hosted-return-to', async (page) => {
      for (const [returnTo, landing] of [
        ['https://evil.example/', `${API}/auth/account`],
        [`${APP_PAGE}?x=1`, `${API}/auth/account`],
        [APP_PAGE, APP_PAGE],
      ] as const) {
        await page.goto(`${pageAt('/auth')}?${new URLSearchParams({ return_to: returnTo })}`);
        await page.waitForLoadState('networkidle');
        await page.getByLabel('Username or email').fill(user.username);
        await page.getByLabel('Password').fill(user.password);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.waitForURL((url) => url.href.split('#')[0] === landing);
      }
    });
  });

  it('signs in with the provider dev from the sign-in page, and returns with the session cookie', async () => {
    const email = `${uniqueName('hpfed')}@example.com`;
    await inFreshProfile(browser, 'hosted-social', async (page, context) => {
      const watch = await watchPage(page);
      await open(page, '/auth');
      await expectAccessible(page);
      // The provider dev signs in the login_hint; without one it has nobody to sign in, so the test adds it
      // on the way (the page sends a person to the provider; what they type there is the provider's business).
      await page.route(/\/authorize\?/, async (route) => {
        const url = new URL(route.request().url());
        if (!url.searchParams.has('login_hint')) url.searchParams.set('login_hint', email);
        await route.continue({ url: url.href });
      });
      await page.getByRole('button', { name: 'Continue with Dev (local)' }).click();
      await page.waitForURL(`${API}/auth/account`);
      const me = await page.evaluate(async () => (await fetch('api/auth/me')).json());
      expect(me).toMatchObject({ email });
      expect((await context.cookies(API)).map((cookie) => cookie.name)).toContain('jwt_session');
      expect(watch.problems()).toEqual([]);
    });
  });

  it("shows a refused social sign-in on the return page in the service's words (an email a local account uses)", async () => {
    const user = newUser('hpfedx');
    const signUp = await fetch(`${API}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(signUp.status).toBe(200);
    await inFreshProfile(browser, 'hosted-social-refused', async (page, context) => {
      const watch = await watchPage(page);
      await page.goto(`${API}/api/auth/oauth/dev/authorize?${new URLSearchParams({ redirect_uri: pageAt('/auth/oauth-callback'), login_hint: user.email })}`);
      await shows(page.locator('#status-box .error'), 'An account already uses this email. Sign in and link this provider from your account.');
      // The fragment is gone from the address bar, and no session was made.
      expect(page.url()).toBe(pageAt('/auth/oauth-callback'));
      expect((await context.cookies(API)).map((cookie) => cookie.name)).not.toContain('jwt_session');
      await expectAccessible(page);
      expect(watch.problems()).toEqual([]);
    });
  });

  it('serves every page with its security headers, and the hashed assets for a year', async () => {
    for (const path of [
      '/auth',
      '/auth/sign-in',
      '/auth/sign-up',
      '/auth/forgot-password',
      '/auth/reset-password',
      '/auth/verify-email',
      '/auth/oauth-callback',
      '/auth/account',
      '/admin',
      '/docs',
    ]) {
      const response = await fetch(pageAt(path));
      expect([path, response.status, response.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style/);
      for (const asset of html.matchAll(/(?:src|href)="(auth\/assets\/[^"]+)"/g)) {
        const file = await fetch(`${API}/${asset[1]}`);
        expect([asset[1], file.status, file.headers.get('cache-control')]).toEqual([asset[1], 200, 'public, max-age=31536000, immutable']);
      }
    }
    expect((await fetch(pageAt('/auth/assets/nothing-here.js'))).status).toBe(404);
  });

  it('shows the API reference, with this service first among the servers', async () => {
    await inFreshProfile(browser, 'hosted-docs', async (page) => {
      const watch = await watchPage(page);
      await open(page, '/docs');
      await page.locator('.opblock').first().waitFor();
      expect(await page.locator('#servers').inputValue()).toBe('..');
      await page.locator('.opblock-summary-path', { hasText: '/api/auth/signin' }).first().waitFor();
      await expectAccessible(page);
      expect(watch.problems()).toEqual([]);
    });
  });

  it('fits a 360 px wide screen and is usable with the keyboard alone', async () => {
    const user = newUser('hpkey');
    const signUp = await fetch(`${API}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(signUp.status).toBe(200);
    await inFreshProfile(browser, 'hosted-narrow', async (page) => {
      await page.setViewportSize({ width: 360, height: 740 });
      for (const path of ['/auth', '/auth/sign-up', '/auth/forgot-password', '/auth/reset-password', '/auth/verify-email']) {
        await open(page, path);
        const width = await page.evaluate(
          () => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth,
        );
        expect([path, width]).toEqual([path, 360]);
        await expectAccessible(page);
      }
      // Keyboard only: Tab to each field, type, Enter submits.
      await open(page, '/auth');
      await page.keyboard.press('Tab');
      await page.keyboard.type(user.username);
      await page.keyboard.press('Tab');
      await page.keyboard.type(user.password);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${API}/auth/account`);
    });
  });
});
