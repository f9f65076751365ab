import { messageOf } from './page';

/**
 * What the account page and the admin console share in their parts: table rows, times, devices, and
 * buttons that report inline (page.ts has the client, the configuration and the forms).
 */

const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A `<time>` of an ISO instant, in the reader's locale; a dash for none. */
export function time(iso: string | null | undefined): Node {
  if (!iso) return document.createTextNode('—');
  const node = document.createElement('time');
  node.dateTime = iso;
  node.textContent = TIME.format(new Date(iso));
  return node;
}

const BROWSERS: [string, RegExp][] = [
  ['Edge', /Edg\//],
  ['Firefox', /Firefox\//],
  ['Chrome', /Chrom(e|ium)\//],
  ['Safari', /Safari\//],
];
const SYSTEMS: [string, RegExp][] = [
  ['Android', /Android/],
  ['iOS', /iPhone|iPad/],
  ['Windows', /Windows/],
  ['macOS', /Mac OS X/],
  ['Linux', /Linux/],
];

/**
 * "Chrome on Linux" from a User-Agent header: enough to tell devices apart; "Unknown" for none. When only
 * the browser or the system is known, that one (`partial`, the account page's way) or else the header itself.
 */
export function device(userAgent: string | null | undefined, partial = true): string {
  if (!userAgent) return 'Unknown';
  const browser = BROWSERS.find(([, pattern]) => pattern.test(userAgent))?.[0];
  const system = SYSTEMS.find(([, pattern]) => pattern.test(userAgent))?.[0];
  if (browser && system) return `${browser} on ${system}`;
  return (partial ? (browser ?? system) : undefined) ?? userAgent;
}

/** A table row of cells (text or nodes). */
export function row(cells: (string | Node)[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const content of cells) {
    const td = document.createElement('td');
    td.append(content);
    tr.append(td);
  }
  return tr;
}

export function button(label: string, className = 'secondary', accessibleName?: string): HTMLButtonElement {
  const made = document.createElement('button');
  made.type = 'button';
  made.className = className;
  made.textContent = label;
  // The visible words first (WCAG 2.5.3), then what (which row) it acts on.
  if (accessibleName) made.setAttribute('aria-label', accessibleName);
  return made;
}

/** Where an action reports: its part's heading (focus goes there when the control that had it disappears), status and error lines. */
export interface Part {
  heading: HTMLElement;
  status?: HTMLElement | undefined;
  error: HTMLElement;
}

/**
 * A button's action: one at a time, the part's status (if given) and error cleared first, the service's
 * (or the page's own, a FormError) message in the error line when it refuses. Focus stays with the
 * button, or moves to the part's heading when the button went away with what it acted on.
 */
export function act(control: HTMLButtonElement, where: Part, run: () => Promise<void>): void {
  control.addEventListener('click', () => {
    where.error.textContent = '';
    if (where.status) where.status.textContent = '';
    control.disabled = true;
    run()
      .catch((failure: unknown) => {
        where.error.textContent = messageOf(failure);
      })
      .finally(() => {
        control.disabled = false;
        if (document.activeElement === document.body || document.activeElement === null) {
          (control.isConnected && !control.closest('[hidden]') ? control : where.heading).focus();
        }
      });
  });
}
