import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';

/**
 * What the browser tier's tests share: the Chromium they launch, a flow in a fresh profile that leaves a
 * screenshot when it fails, and the calls every client page (tests/browser/app) answers.
 */

/** A call's answer as the pages report it. */
export type Result = { status: number; text: string };

export const noToken: Result = { status: 401, text: '{"message":"No token provided!"}' };

/** Headless Chromium (global-setup.ts found or installed it), as root in a container: no sandbox; and none of Chromium's own calls home (this network is closed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.BROWSER_CHROMIUM,
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
}

/** Runs a flow in a fresh browser profile; a screenshot `tests/browser/screenshots/<name>.png` if it fails. */
export async function inFreshProfile(browser: Browser, name: string, run: (page: Page, context: BrowserContext) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await run(page, context);
  } catch (error) {
    const dir = join(__dirname, 'screenshots');
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
  }
}

/** The page's `window.app` (tests/browser/app/client.js), as every client page has it. */
export interface PageApp {
  signUp(username: string, email: string, password: string): Promise<Result>;
  signIn(username: string, password: string): Promise<Result>;
  profile(): Promise<Result>;
  content(page: string): Promise<Result>;
  signOut(): Promise<Result>;
}

/** The client calls, run in the page. */
export const pageApp = {
  signUp: (page: Page, user: { username: string; email: string; password: string }) =>
    page.evaluate((u) => (globalThis as unknown as { app: PageApp }).app.signUp(u.username, u.email, u.password), user),
  signIn: (page: Page, user: { username: string; password: string }) =>
    page.evaluate((u) => (globalThis as unknown as { app: PageApp }).app.signIn(u.username, u.password), user),
  profile: (page: Page) => page.evaluate(() => (globalThis as unknown as { app: PageApp }).app.profile()),
  content: (page: Page, which: string) => page.evaluate((w) => (globalThis as unknown as { app: PageApp }).app.content(w), which),
  signOut: (page: Page) => page.evaluate(() => (globalThis as unknown as { app: PageApp }).app.signOut()),
};

/** A virtual platform authenticator for this page: CTAP2, internal, resident keys, user verified. */
export async function virtualAuthenticator(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return { cdp, authenticatorId };
}
