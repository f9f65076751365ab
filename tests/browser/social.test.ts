import type { Browser } from 'playwright-core';
import { inFreshProfile, launchChromium } from './page-driver';
import { newUser, uniqueName } from '../support/data';

// Social sign-in in a real browser: Chromium navigates to the service's authorize, is redirected to the
// stack's OpenID provider `dev` (it signs in the login_hint with no form), back to the service's
// callback (which must see the binding cookie the start set), and on to the front-end's return page
// (tests/browser/app/oauth-callback.html), which trades the one-time code for the session cookie. A
// failing flow leaves a screenshot in tests/browser/screenshots/.
const ORIGIN = process.env.BROWSER_APP_ORIGIN!;
const API = process.env.BROWSER_API_URL!;
const PAGE = `${ORIGIN}/oauth/callback`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

type Landing = {
  fragment: string[];
  token?: { status: number; body: Record<string, unknown> };
  me?: { status: number; body: Record<string, unknown> };
  error?: string;
  message?: string;
};

const authorizeUrl = (email: string) => `${API}/api/auth/oauth/dev/authorize?${new URLSearchParams({ redirect_uri: PAGE, login_hint: email })}`;

describe('social sign-in in Chromium', () => {
  it('goes to the provider and back, lands on the page with a one-time code only, and ends with the session cookie', async () => {
    await inFreshProfile(browser, 'social', async (page, context) => {
      const email = `${uniqueName('brfed')}@example.com`;
      const visited: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest()) visited.push(request.url());
      });
      await page.goto(authorizeUrl(email));
      await page.locator('#result').filter({ hasText: /\S/ }).waitFor({ timeout: 20_000 });
      const landing = JSON.parse((await page.textContent('#result'))!) as Landing;
      expect(landing.fragment).toEqual(['code']);
      expect(landing.token).toMatchObject({ status: 200, body: { email, roles: ['ROLE_USER'] } });
      expect(landing.me).toEqual({ status: 200, body: expect.objectContaining({ email }) });
      // Start, provider, callback, page: no token in any URL of the way (a JWT starts with eyJ).
      expect(visited.map((url) => new URL(url).pathname)).toEqual([
        '/api/auth/oauth/dev/authorize',
        '/authorize',
        '/api/auth/oauth/dev/callback',
        '/oauth/callback',
      ]);
      expect(visited.filter((url) => /eyJ|accessToken|refreshToken/.test(url))).toEqual([]);
      const cookies = await context.cookies(API);
      expect(cookies.map((cookie) => cookie.name).sort()).toEqual(['jwt_session']);
      expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    });
  });

  it('returns to the page with account_exists for an email a local account uses', async () => {
    const user = newUser('brfedx');
    const signUp = await fetch(`${API}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(signUp.status).toBe(200);
    await inFreshProfile(browser, 'social-exists', async (page, context) => {
      await page.goto(authorizeUrl(user.email));
      await page.locator('#result').filter({ hasText: /\S/ }).waitFor({ timeout: 20_000 });
      expect(JSON.parse((await page.textContent('#result'))!)).toEqual({
        fragment: ['error', 'message'],
        error: 'account_exists',
        message: 'An account already uses this email. Sign in and link this provider from your account.',
      });
      expect((await context.cookies(API)).map((cookie) => cookie.name)).toEqual([]);
    });
  });
});
