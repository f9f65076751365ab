import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inFreshProfile, launchChromium, noToken, type PageApp, pageApp, type Result } from './page-driver';
import { ONE_REQUEST_MS, revocationDeadlineMs } from '../support/api';
import { newUser } from '../support/data';

// The tutorial's four kinds of front-end, as small pages of our own on a second origin
// (tests/browser/app), in headless Chromium against the service on serverless-offline. Tokens live
// 10 s and sessions (so cookies) 40 s here, so every client meets expiry within the test. The flows run
// one after another: four at once on a 2-core machine (each with its own browser profile, and each
// first request starting another serverless-offline worker) starved the service past its 2 s deadline.
// A failing flow leaves a screenshot in tests/browser/screenshots/.
const ORIGIN = process.env.BROWSER_APP_ORIGIN!;
const API = process.env.BROWSER_API_URL!;
const ADMIN = JSON.parse(process.env.BROWSER_ADMIN!) as { username: string; password: string };
const REVOCATION_BOUND_MS = Number(process.env.BROWSER_REVOCATION_BOUND_MS);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Runs a flow in a fresh browser profile on one client page; a screenshot if it fails. */
function flow(client: string, run: (page: Page, context: BrowserContext) => Promise<void>): Promise<void> {
  return inFreshProfile(browser, client, async (page, context) => {
    await page.goto(`${ORIGIN}/${client}.html`);
    await run(page, context);
  });
}

const app = {
  ...pageApp,
  stored: (page: Page) =>
    page.evaluate(() => (globalThis as unknown as InPage).app.storedUser()) as Promise<{ accessToken: string; refreshToken: string; username: string } | null>,
};

/** Waits, up to a deadline, until the API calls this access token expired: the client's token is dead. */
async function untilExpired(accessToken: string, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const response = await fetch(`${API}/api/test/all`, { headers: { 'x-access-token': accessToken } });
    await response.text();
    const probe = await fetch(`${API}/api/auth/me`, { headers: { 'x-access-token': accessToken } });
    if (probe.status === 401 && (await probe.text()).includes('expired')) return;
    if (Date.now() > deadline) throw new Error(`access token not expired within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The common part of every client: sign-up, sign-in, profile and the role pages. */
async function signUpAndIn(page: Page, prefix: string) {
  const user = newUser(prefix);
  expect(await app.signUp(page, user)).toEqual({ status: 200, text: '{"message":"User was registered successfully!"}' });
  const signedIn = await app.signIn(page, user);
  expect(signedIn.status).toBe(200);
  expect(JSON.parse((await app.profile(page)).text)).toMatchObject({ username: user.username, roles: ['ROLE_USER'] });
  expect(await app.content(page, 'all')).toEqual({ status: 200, text: 'Public Content.' });
  expect(await app.content(page, 'user')).toEqual({ status: 200, text: 'User Content.' });
  expect(await app.content(page, 'mod')).toEqual({ status: 403, text: '{"message":"Require Moderator Role!"}' });
  expect(await app.content(page, 'admin')).toEqual({ status: 403, text: '{"message":"Require Admin Role!"}' });
  return { user, body: JSON.parse(signedIn.text) as { accessToken: string; refreshToken: string } };
}

const expired: Result = { status: 401, text: '{"message":"Unauthorized! Access Token was expired!"}' };

describe("the tutorial's front-ends in Chromium", () => {
  it.each([
    ['header', 'React (plain), x-access-token'],
    ['bearer', 'Vue 3, Authorization: Bearer'],
  ])('%s client (%s): sign-up, sign-in, profile, role pages, expiry, sign-out', (client) =>
    flow(client, async (page) => {
      const { user, body } = await signUpAndIn(page, client);
      expect((await app.stored(page))?.username).toBe(user.username);
      await untilExpired(body.accessToken);
      expect(await app.profile(page)).toEqual(expired);
      // Sign in again, then out: the stored user goes, and so does access.
      await app.signIn(page, user);
      expect((await app.signOut(page)).status).toBe(200);
      expect(await app.stored(page)).toBeNull();
      expect(await app.profile(page)).toEqual(noToken);
      // An admin on the same client sees the admin page.
      await app.signIn(page, ADMIN);
      expect(await app.content(page, 'admin')).toEqual({ status: 200, text: 'Admin Content.' });
    }),
  );

  it('refresh-token client (React, interceptor keeping its first refresh token): survives two expiries', () =>
    flow('refresh', async (page) => {
      const { body } = await signUpAndIn(page, 'refresh');
      await untilExpired(body.accessToken);
      // 401 → refresh with the sign-in's refresh token → retry: the user never sees the expiry.
      expect(await app.content(page, 'user')).toEqual({ status: 200, text: 'User Content.' });
      const afterFirst = (await app.stored(page))!;
      expect(afterFirst.accessToken).not.toBe(body.accessToken);
      expect(afterFirst.refreshToken).toBe(body.refreshToken);
      // The second refresh resends the first refresh token: works with REFRESH_ROTATION=off.
      await untilExpired(afterFirst.accessToken);
      expect(await app.content(page, 'user')).toEqual({ status: 200, text: 'User Content.' });
      expect((await app.stored(page))!.accessToken).not.toBe(afterFirst.accessToken);
      expect((await app.signOut(page)).status).toBe(200);
      expect(await app.profile(page)).toEqual(noToken);
    }));

  it('cookie client (Angular 16, HttpOnly cookie, no token header): session-long cookie, sign-out link that reloads at once', () =>
    flow('cookie', async (page, context) => {
      const { user, body } = await signUpAndIn(page, 'cookie');
      const cookie = (await context.cookies(API)).find((c) => c.name === 'jwt_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
      expect(await page.evaluate(() => (globalThis as unknown as InPage).document.cookie)).not.toContain('jwt_session');
      // Cookie clients never refresh: the access token of the same sign-in expires, the cookie does not.
      await untilExpired(body.accessToken);
      expect(JSON.parse((await app.profile(page)).text)).toMatchObject({ username: user.username });

      // LogOut: the click sends sign-out {} and the empty href reloads the page at once. The request
      // reaches the service, so the session ends; whether its answer (clearing the cookie) arrives before
      // the reload cancels it is a race a local page reload usually wins (see docs/cookies-and-front-ends.md "Front-ends"). Either
      // way the client is signed out within the revocation bound: a stale cookie is refused, and the
      // client's 401 handling signs out again, which clears it.
      const sessionCookie = (await context.cookies(API)).find((c) => c.name === 'jwt_session')!.value;
      await Promise.all([page.waitForEvent('load'), page.click('#logout')]);
      // The bound plus one request's time, plus one more for the page's own round trip (its reload and the
      // in-page fetch): well under twice the bound, so a cache living twice as long fails here.
      const signedOutBy = Date.now() + revocationDeadlineMs(REVOCATION_BOUND_MS) + ONE_REQUEST_MS;
      while ((await app.profile(page)).status === 200) {
        if (Date.now() > signedOutBy) throw new Error('still signed in after the revocation bound');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect((await context.cookies(API)).find((c) => c.name === 'jwt_session')).toBeUndefined();
      expect(await app.stored(page)).toBeNull();
      expect(await app.profile(page)).toEqual(noToken);
      // And the session itself is over: its cookie, replayed, is refused within the bound.
      const staleBy = Date.now() + revocationDeadlineMs(REVOCATION_BOUND_MS);
      while ((await fetch(`${API}/api/auth/me`, { headers: { cookie: `jwt_session=${sessionCookie}` } })).status !== 401) {
        if (Date.now() > staleBy) throw new Error('the signed-out session still answers after the revocation bound');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }

      // Signed in again, the cookie ends with the session (40 s here): the browser drops it.
      await app.signIn(page, user);
      const expires = (await context.cookies(API)).find((c) => c.name === 'jwt_session')!.expires * 1000;
      expect(expires - Date.now()).toBeGreaterThan(30_000);
      const deadline = expires + 5_000;
      while ((await app.profile(page)).status === 200) {
        if (Date.now() > deadline) throw new Error('the cookie outlived its session');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(await app.profile(page)).toEqual(noToken);
    }));
});

/** What the client pages define (tests/browser/app/client.js), as seen from page.evaluate. */
interface InPage {
  document: { cookie: string };
  app: PageApp & { storedUser(): unknown };
}
