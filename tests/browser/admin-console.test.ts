import { request } from 'node:http';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freshLoopback } from '../support/api';
import { newUser, uniqueName } from '../support/data';
import { accessibilityProblems, API, pageAt, watchPage } from './hosted';
import { inFreshProfile, launchChromium } from './page-driver';

// The admin console (/admin, web/src/pages/admin.ts) in Chromium, served by the stack itself: an admin
// signs in on the hosted sign-in page (the session is the HttpOnly cookie), then finds, reads, changes
// and deletes users through the console; each outcome is checked through the API as well. The stack's
// sessions live 40 s (REFRESH_TOKEN_TTL), so each test signs in afresh. The last-admin refusal needs the
// tier's admin (BROWSER_ADMIN) to be the only one: the test checks that first.
const ADMIN = JSON.parse(process.env.BROWSER_ADMIN!) as { username: string; email: string; password: string };
const BOUND_MS = Number(process.env.BROWSER_REVOCATION_BOUND_MS) + 1000;
const LAST_ADMIN = 'Refused: this would leave no admin. Make another user an admin first.';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  await warmUp();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

type Answer = { status: number; json: Record<string, unknown>; text: string };

/** A call to the API from here (no browser): a token header, a JSON body. */
async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...(options.token ? { 'x-access-token': options.token } : {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // the content routes answer plain text
  }
  return { status: response.status, json, text };
}

/** A sign-up from a loopback address of its own, so that many of them meet no per-IP sign-up limit. */
function signUpFromElsewhere(user: { username: string; email: string; password: string }): Promise<number> {
  const body = JSON.stringify(user);
  const url = new URL(`${API}/api/auth/signup`);
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: freshLoopback(),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

const signInByApi = (user: { username: string; password: string }) =>
  call('POST', '/api/auth/signin', { body: { username: user.username, password: user.password } });

/** Polls until `check` holds; fails after `withinMs`. */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not so within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Loads the functions this file calls, each with a request it refuses (the admin's token gets them past
 * the authorizer): a cold start on a loaded 2-core machine can outlast the 2 s request deadline (503),
 * which is the machine starting up, not an answer under test. Retries a 5xx here, and only here.
 */
async function warmUp(): Promise<void> {
  const retried = async (request: () => Promise<Answer>) => {
    let answer = await request();
    for (let attempt = 0; attempt < 5 && answer.status >= 500; attempt++) answer = await request();
    return answer;
  };
  const token = (await retried(() => signInByApi(ADMIN))).json.accessToken as string;
  const none = '00000000-0000-4000-8000-000000000000';
  const routes: [string, string, unknown?][] = [
    ['POST', '/api/auth/signup', {}],
    ['POST', '/api/auth/mfa/totp/setup', {}],
    ['POST', '/api/auth/mfa/totp/confirm', {}],
    ['GET', '/api/auth/me'],
    ['GET', '/api/test/user'],
    ['GET', '/api/test/mod'],
    ['GET', '/api/admin/users?search=warm-up'],
    ['PUT', `/api/admin/users/${none}/roles`, { roles: ['user'] }],
    ['DELETE', `/api/admin/users/${none}/mfa`],
    ['DELETE', `/api/admin/users/${none}`],
    ['GET', `/api/admin/users/${none}/events`],
    ['GET', `/api/admin/users/${none}/sessions`],
    ['GET', `/api/admin/users/${none}/passkeys`],
  ];
  await Promise.all(routes.map(([method, path, body]) => retried(() => call(method, path, { token, body }))));
}

/** A new user, signed up and signed in through the API: its id and access token. */
async function registered(prefix: string) {
  const user = newUser(prefix);
  expect((await call('POST', '/api/auth/signup', { body: user })).status).toBe(200);
  const signedIn = await signInByApi(user);
  expect(signedIn.status).toBe(200);
  return { ...user, id: signedIn.json.id as string, token: signedIn.json.accessToken as string };
}

/** The same with MFA on (an authenticator app, set up through the API); the session that confirmed it lives on. */
async function registeredWithMfa(prefix: string) {
  const user = await registered(prefix);
  const setup = await call('POST', '/api/auth/mfa/totp/setup', { token: user.token, body: { password: user.password } });
  expect(setup.status).toBe(200);
  const code = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(setup.json.secret as string) }).generate();
  expect((await call('POST', '/api/auth/mfa/totp/confirm', { token: user.token, body: { code } })).status).toBe(200);
  expect(await signInByApi(user)).toMatchObject({ status: 200, json: { mfaRequired: true } });
  return user;
}

/** Signs in on the hosted sign-in page, in a page of its own (the account page it lands on is not under test here). */
async function signInOnHostedPage(context: BrowserContext, user: { username: string; password: string }): Promise<void> {
  const page = await context.newPage();
  await page.goto(pageAt('/auth'));
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**/auth/account');
  await page.close();
}

/** The requests the page makes to the admin API, by method and path, from now on. */
function adminCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/api/admin/')) calls.push(`${request.method()} ${pathname}`);
  });
  return calls;
}

/** The console, signed in as the admin, with its first page of users shown. */
async function adminConsole(page: Page, context: BrowserContext) {
  const watch = await watchPage(page);
  await signInOnHostedPage(context, ADMIN);
  const calls = adminCalls(page);
  await page.goto(pageAt('/admin'));
  await page.getByText(/^Page 1: \d+ users?\.$/).waitFor();
  return { watch, calls };
}

/** Searches the list for a user and opens their detail from the keyboard. */
async function openUser(page: Page, user: { username: string }): Promise<void> {
  await page.getByLabel('Username or email starts with').fill(user.username);
  await page.keyboard.press('Enter');
  await page.getByText('Page 1: 1 user.').waitFor();
  await page.getByRole('button', { name: user.username, exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 2, name: user.username, exact: true }).waitFor();
}

const cells = (page: Page, tbody: string) =>
  page.locator(`${tbody} tr`).evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent)));
/** The focused element's id, or its text when it has none. */
const focused = (page: Page) =>
  page.evaluate<string | null>("((e) => (e === document.body ? 'body' : e?.id || e?.textContent?.trim() || null))(document.activeElement)");

describe('the admin console (/admin)', () => {
  it('finds a user, shows their roles, MFA, sessions and events; Back returns to the list; no serious axe violation, at 360 px too', () =>
    inFreshProfile(browser, 'admin-console-detail', async (page, context) => {
      const user = await registeredWithMfa('shown');
      const { watch } = await adminConsole(page, context);
      expect(await accessibilityProblems(page)).toEqual([]);

      // The search finds the user by a prefix of their name, in any case.
      await page.getByLabel('Username or email starts with').fill(user.username.slice(0, -2).toUpperCase());
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText('Page 1: 1 user.').waitFor();
      expect((await cells(page, '#users')).map((row) => row.slice(0, 5))).toEqual([[user.username, user.email, 'user', 'On', 'No']]);

      await openUser(page, user);
      expect(new URL(page.url()).searchParams.get('user')).toBe(user.id);
      expect(await focused(page)).toBe('user-title');
      expect(await page.locator('#user-email').textContent()).toBe(user.email);
      expect(await page.locator('#user-verified').textContent()).toBe('No');
      expect(await page.getByLabel('User', { exact: true }).isChecked()).toBe(true);
      expect(await page.getByLabel('Moderator').isChecked()).toBe(false);
      expect(await page.getByLabel('Admin', { exact: true }).isChecked()).toBe(false);
      expect(await page.locator('#mfa-state').textContent()).toMatch(/^On/);
      expect(await page.getByRole('button', { name: 'Reset MFA' }).isVisible()).toBe(true);
      // The one session that confirmed MFA lives on; the events say what happened.
      await page.locator('#sessions tr').first().waitFor();
      expect(await page.locator('#sessions tr').count()).toBe(1);
      await page.locator('#events tr').first().waitFor();
      const events = (await cells(page, '#events')).map((row) => row[0]);
      expect(events).toEqual(expect.arrayContaining(['mfa.enable', 'signin.success']));
      await page.getByText('No passkeys.').waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);

      await page.setViewportSize({ width: 360, height: 740 });
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);

      // The browser's Back: the list again, focus on the row that was opened.
      await page.goBack();
      await page.getByText('Page 1: 1 user.').waitFor();
      expect(await page.locator('#detail').isHidden()).toBe(true);
      await page.getByRole('button', { name: user.username, exact: true }).and(page.locator(':focus')).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(watch.problems()).toEqual([]);
    }));

  it('pages through the users a search finds with Next page, and back with Previous page', () =>
    inFreshProfile(browser, 'admin-console-pages', async (page, context) => {
      // One more user than a page holds, all starting with the same prefix.
      const prefix = uniqueName('paged');
      const names = Array.from({ length: 21 }, (_, i) => `${prefix}_${String(i).padStart(2, '0')}`);
      for (const username of names)
        expect(await signUpFromElsewhere({ username, email: `${username}@example.com`, password: 'correct horse battery' })).toBe(200);
      const { watch } = await adminConsole(page, context);
      await page.getByLabel('Username or email starts with').fill(prefix);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText(/^Page 1: \d+ users?\.$/).waitFor();
      expect(await page.getByRole('button', { name: 'Previous page' }).isHidden()).toBe(true);
      // A search's page may hold fewer than the page size (its shards) while there is more: follow Next page to the end.
      const seen: string[] = [];
      for (let number = 1; ; number++) {
        await page.getByText(new RegExp(`^Page ${number}: \\d+ users?\\.$`)).waitFor();
        const shown = (await cells(page, '#users')).map((row) => row[0]!);
        expect(shown.length).toBeLessThanOrEqual(20);
        seen.push(...shown);
        if (await page.getByRole('button', { name: 'Next page' }).isHidden()) break;
        await page.getByRole('button', { name: 'Next page' }).click();
        await page.getByText(`Page ${number + 1}:`, { exact: false }).waitFor();
      }
      expect([...seen].sort()).toEqual(names);
      const pages = Number((await page.locator('#list-status').textContent())?.match(/^Page (\d+)/)?.[1]);
      expect(pages).toBeGreaterThanOrEqual(2);
      await page.getByRole('button', { name: 'Previous page' }).click();
      await page.getByText(`Page ${pages - 1}:`, { exact: false }).waitFor();
      expect(await page.getByRole('button', { name: 'Next page' }).isVisible()).toBe(true);
      expect(watch.problems()).toEqual([]);
    }));

  it('resets MFA after a confirm step and changes roles: the API shows MFA off, and the new token has the role', () =>
    inFreshProfile(browser, 'admin-console-changes', async (page, context) => {
      const user = await registeredWithMfa('changed');
      const { watch, calls } = await adminConsole(page, context);
      await openUser(page, user);

      // Reset MFA: nothing happens until it is confirmed.
      await page.getByRole('button', { name: 'Reset MFA', exact: true }).click();
      await page.getByText(`Turn off two-step verification for ${user.username}?`).waitFor();
      expect(calls.filter((c) => c.startsWith('DELETE'))).toEqual([]);
      expect(await focused(page)).toBe('mfa-reset-confirm');
      await page.locator('#mfa-confirm').getByRole('button', { name: 'Cancel' }).click();
      expect(await page.locator('#mfa-confirm').isHidden()).toBe(true);
      await page.getByRole('button', { name: 'Reset MFA', exact: true }).click();
      await page.getByRole('button', { name: 'Yes, reset MFA' }).click();
      await page.getByText("The user's MFA was reset.").waitFor();
      expect(calls.filter((c) => c.startsWith('DELETE'))).toEqual([`DELETE /api/admin/users/${user.id}/mfa`]);
      expect(await page.locator('#mfa-state').textContent()).toBe('Off.');
      // The password alone signs the user in now.
      const afterReset = await signInByApi(user);
      expect(afterReset.status).toBe(200);
      const oldToken = afterReset.json.accessToken as string;
      expect(await call('GET', '/api/auth/me', { token: oldToken })).toMatchObject({ status: 200, json: { mfaEnabled: false } });
      expect(await call('GET', '/api/test/mod', { token: oldToken })).toMatchObject({ status: 403 });

      // Roles: moderator added, and saved.
      await page.getByLabel('Moderator').check();
      const saved = page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith(`/api/admin/users/${user.id}/roles`));
      await page.getByRole('button', { name: 'Save roles' }).click();
      await saved;
      expect(calls.filter((c) => c.startsWith('PUT'))).toEqual([`PUT /api/admin/users/${user.id}/roles`]);
      // Through the API: the user's sessions ended (the old token is refused within the authorizer's cache bound), and a new sign-in has the role.
      await eventually(async () => (await call('GET', '/api/test/user', { token: oldToken })).status === 401, BOUND_MS);
      const again = await signInByApi(user);
      expect(again.json.roles).toEqual(['ROLE_USER', 'ROLE_MODERATOR']);
      await eventually(async () => (await call('GET', '/api/test/mod', { token: again.json.accessToken as string })).text === 'Moderator Content.', BOUND_MS);
      await page.getByText("Roles saved: user, moderator. The user's sessions ended.").waitFor();
      // The list shows the change too.
      await page.getByRole('button', { name: 'Back to the list' }).click();
      await page.getByText('Page 1: 1 user.').waitFor();
      await eventually(async () => (await cells(page, '#users'))[0]?.[2] === 'user, moderator', BOUND_MS);
      expect(watch.problems()).toEqual([]);
    }));

  it('deletes a user only once their username is typed; the last admin cannot take away their own admin role (409 inline)', () =>
    inFreshProfile(browser, 'admin-console-delete', async (page, context) => {
      const user = await registered('deleted');
      const { watch, calls } = await adminConsole(page, context);
      await openUser(page, user);
      const deletes = () => calls.filter((c) => c === `DELETE /api/admin/users/${user.id}`);

      await page.getByRole('button', { name: 'Delete user…' }).click();
      expect(await focused(page)).toBe('delete-confirm');
      await page.getByLabel(`Type the username ${user.username} to confirm`).fill(`${user.username}x`);
      await page.keyboard.press('Enter');
      await page
        .getByRole('alert')
        .filter({ hasText: `Type the username ${user.username} exactly, to confirm.` })
        .waitFor();
      expect(await page.getByLabel(`Type the username ${user.username} to confirm`).getAttribute('aria-invalid')).toBe('true');
      expect(deletes()).toEqual([]);
      expect((await signInByApi(user)).status).toBe(200);

      await page.getByLabel(`Type the username ${user.username} to confirm`).fill(user.username);
      await page.getByRole('button', { name: 'Delete user', exact: true }).click();
      await page.getByText('User was deleted successfully!').waitFor();
      expect(await page.locator('#list').isVisible()).toBe(true);
      expect(new URL(page.url()).search).toBe('');
      expect(deletes()).toEqual([`DELETE /api/admin/users/${user.id}`]);
      expect(await signInByApi(user)).toMatchObject({ status: 401, json: { message: 'Invalid username or password!' } });

      // The tier's admin is the only one, so taking their own admin role away is refused, in the service's words.
      const adminToken = (await signInByApi(ADMIN)).json.accessToken as string;
      const admins: string[] = [];
      let cursor: string | null = null;
      do {
        const listed = await call('GET', `/api/admin/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: adminToken });
        for (const listedUser of listed.json.users as { username: string; roles: string[] }[])
          if (listedUser.roles.includes('admin')) admins.push(listedUser.username);
        cursor = listed.json.nextCursor as string | null;
      } while (cursor);
      expect(admins).toEqual([ADMIN.username]);
      await openUser(page, ADMIN);
      expect(await page.getByLabel('Admin', { exact: true }).isChecked()).toBe(true);
      await page.getByLabel('Admin', { exact: true }).uncheck();
      await page.getByRole('button', { name: 'Save roles' }).click();
      await page.locator('#roles-form').getByRole('alert').filter({ hasText: LAST_ADMIN }).waitFor();
      expect(await page.locator('#roles-status').textContent()).toBe('');
      expect((await signInByApi(ADMIN)).json.roles).toEqual(expect.arrayContaining(['ROLE_ADMIN']));
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(watch.problems()).toEqual([]);
    }));

  it('shows a signed-in user without the admin role only a refusal, making no admin call; a signed-out visitor goes to sign-in', () =>
    inFreshProfile(browser, 'admin-console-refusal', async (page, context) => {
      const watch = await watchPage(page);
      const calls = adminCalls(page);
      await page.goto(pageAt('/admin'));
      await page.waitForURL('**/auth/sign-in');

      const user = await registered('plain');
      await signInOnHostedPage(context, user);
      await page.goto(pageAt('/admin'));
      await page.getByText('This page is for administrators.').waitFor();
      expect(await page.locator('#list').isHidden()).toBe(true);
      expect(await page.locator('#detail').isHidden()).toBe(true);
      expect(await page.locator('#loading').isHidden()).toBe(true);
      expect(calls).toEqual([]);
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(watch.problems()).toEqual([]);
    }));
});
