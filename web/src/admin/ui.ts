import { errorOf, messageOf } from '../common/page';

/** What the console's parts share besides common/ui.ts: yes/no cells and forms that report inline. */

export const yesNo = (value: boolean) => (value ? 'Yes' : 'No');

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
        error.textContent = messageOf(failure);
        invalid?.setAttribute('aria-invalid', 'true');
      })
      .finally(() => {
        for (const control of buttons) control.disabled = false;
      });
  });
}
