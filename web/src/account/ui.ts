import { element, messageOf, onSubmit } from '../common/page';

/** What the account page's parts share: table rows, times, devices, and buttons that report inline. */

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

/** "Chrome on Linux" from a User-Agent header: enough to tell one's devices apart; the header itself when unknown. */
export function device(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown';
  const browser = BROWSERS.find(([, pattern]) => pattern.test(userAgent))?.[0];
  const system = SYSTEMS.find(([, pattern]) => pattern.test(userAgent))?.[0];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? userAgent;
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
  // The visible words first (WCAG 2.5.3), then which row it acts on.
  if (accessibleName) made.setAttribute('aria-label', accessibleName);
  return made;
}

/** A part of the page: its heading (focus goes there when the control that had it disappears), status and error lines. */
export interface Part {
  heading: HTMLElement;
  status?: HTMLElement | undefined;
  error: HTMLElement;
}

export function part(name: string): Part {
  return { heading: element(`#${name}-title`), status: document.querySelector<HTMLElement>(`#${name}-status`) ?? undefined, error: element(`#${name}-error`) };
}

/**
 * A button's action: one at a time, the part's status and error cleared first, the service's message in
 * the error line when it refuses. Focus stays with the button, or moves to the part's heading when the
 * button went away with its row.
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

/** onSubmit, with the fields' aria-invalid of an earlier refusal cleared at each new try. */
export function submit(form: HTMLFormElement, run: (data: FormData) => Promise<void>): void {
  onSubmit(form, async (data) => {
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    await run(data);
  });
}

/** Shows a list's table (or its empty line) for `count` rows. */
export function showList(tbody: HTMLElement, empty: HTMLElement | null, count: number): void {
  const scroll = tbody.closest<HTMLElement>('.table-scroll');
  if (scroll) scroll.hidden = count === 0 && empty !== null;
  if (empty) empty.hidden = count > 0;
}
