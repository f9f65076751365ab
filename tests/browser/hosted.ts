import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

/**
 * What the hosted pages' tests share (lib/web/site.ts; the pages are served by the stack itself at
 * `${API}/auth/…`, `/admin`, `/docs`): their addresses, axe-core over a page, and a watch on what a
 * page must never do (break its Content-Security-Policy, throw, log an error).
 */
export const API = process.env.BROWSER_API_URL!;
export const pageAt = (path: string) => `${API}${path}`;

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (rule id and the elements' selectors). */
export async function accessibilityProblems(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  // Evaluated over the DevTools protocol, which the page's CSP does not govern (an injected <script> would be refused).
  await page.evaluate(AXE);
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations.map(({ id, impact, nodes }) => ({ id, impact, nodes: nodes.map((node) => ({ target: node.target })) })))",
  )) as { id: string; impact: string; nodes: { target: string[] }[] }[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(' ')) }));
}

/** Collects CSP violations, uncaught errors and console errors of a page from now on; `problems()` lists them. */
export async function watchPage(page: Page): Promise<{ problems: () => string[] }> {
  const problems: string[] = [];
  await page.exposeFunction('__reportViolation', (text: string) => problems.push(text));
  // Before any script of the page's own: a violation is reported even by the first one.
  await page.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (event) => __reportViolation('CSP: ' + event.violatedDirective + ' refused ' + (event.blockedURI || 'inline') + ' on ' + location.pathname));",
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused call logs "Failed to load resource: … 4xx": that is the service answering, which the test checks itself.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  return { problems: () => [...problems] };
}
