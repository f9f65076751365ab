import { element, onSubmit } from '../common/page';
import type { Part } from '../common/ui';

/** What the account page's parts share besides common/ui.ts: their parts, forms and lists. */

/** A part of the page by its name: `#<name>-title`, `#<name>-status` (if any), `#<name>-error`. */
export function part(name: string): Part {
  return { heading: element(`#${name}-title`), status: document.querySelector<HTMLElement>(`#${name}-status`) ?? undefined, error: element(`#${name}-error`) };
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
