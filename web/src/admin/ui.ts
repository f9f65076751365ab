import { errorOf, messageOf } from '../common/page';

/** What the console's parts share: table cells, times, devices, and controls that report inline. */

const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A `<time>` of an ISO instant, in the reader's locale; a dash for none. */
export function time(iso: string | null | undefined): Node {
  if (!iso) return document.createTextNode('—');
  const node = document.createElement('time');
  node.dateTime = iso;
  node.textContent = TIME.format(new Date(iso));
  return node;
}

export const yesNo = (value: boolean) => (value ? 'Yes' : 'No');

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

/** "Chrome on Linux" from a User-Agent header, or the header itself; "Unknown" for none. */
export function device(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown';
  const browser = BROWSERS.find(([, pattern]) => pattern.test(userAgent))?.[0];
  const system = SYSTEMS.find(([, pattern]) => pattern.test(userAgent))?.[0];
  return browser && system ? `${browser} on ${system}` : userAgent;
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
  // The visible words first (WCAG 2.5.3), then what it acts on.
  if (accessibleName) made.setAttribute('aria-label', accessibleName);
  return made;
}

/** A refusal of the page's own (a confirmation mistyped), shown in its words like the service's. */
export class Refusal extends Error {}

const say = (failure: unknown) => (failure instanceof Refusal ? failure.message : messageOf(failure));

/**
 * A control's action: one at a time, its error line cleared first and the service's message in it when
 * the service refuses. Focus goes to `fallback` when the control went away with what it acted on.
 */
export function act(control: HTMLButtonElement, error: HTMLElement, fallback: HTMLElement, run: () => Promise<void>): void {
  control.addEventListener('click', () => {
    error.textContent = '';
    control.disabled = true;
    run()
      .catch((failure: unknown) => {
        error.textContent = say(failure);
      })
      .finally(() => {
        control.disabled = false;
        if (document.activeElement === document.body || document.activeElement === null) {
          (control.isConnected && !control.closest('[hidden]') ? control : fallback).focus();
        }
      });
  });
}

/**
 * A form's submit: one at a time (its buttons disabled meanwhile), its status and error lines cleared
 * first, the service's message in its error line (role=alert) when it refuses, and `invalid` (if any)
 * marked aria-invalid until the next try.
 */
export function submit(form: HTMLFormElement, status: HTMLElement | null, run: (data: FormData) => Promise<void>, invalid?: HTMLElement): void {
  const error = errorOf(form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll<HTMLButtonElement>('button')];
    error.textContent = '';
    if (status) status.textContent = '';
    invalid?.removeAttribute('aria-invalid');
    for (const control of buttons) control.disabled = true;
    run(new FormData(form))
      .catch((failure: unknown) => {
        error.textContent = say(failure);
        invalid?.setAttribute('aria-invalid', 'true');
      })
      .finally(() => {
        for (const control of buttons) control.disabled = false;
      });
  });
}
