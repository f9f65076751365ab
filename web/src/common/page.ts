import { AuthError, createAuthClient } from '../../../client/src/index';
import { authErrorOf } from '../../../client/src/errors';

/**
 * What every hosted page shares: the client of the service that served it (cookie mode: the session is
 * the HttpOnly cookie, no token in the page), its configuration, and forms that show the service's
 * own messages inline. Pages are one level under the service (lib/web/site.ts), so `<base href>` is
 * the service: `auth/account`, `api/auth/me` are relative to it, under a stage path too.
 */

export interface PageConfig {
  productName: string;
  returnUrls: string[];
}

export const serviceUrl = document.baseURI.replace(/\/+$/, '');

export const client = createAuthClient({ baseUrl: serviceUrl, mode: 'cookie' });

export function pageConfig(): PageConfig {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="auth-config"]');
  return JSON.parse(meta?.content ?? '{}') as PageConfig;
}

/** An absolute URL of one of the hosted pages (`auth/account`). */
export function pageUrl(path: string): string {
  return new URL(path, document.baseURI).href;
}

export function element<T extends HTMLElement = HTMLElement>(selector: string, root: ParentNode = document): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return found;
}

/** A refusal the page makes itself, before asking the service (two new passwords that differ). */
export class FormError extends Error {}

/** The message to show for a failure: the service's own words (or the page's), or a plain one for the network. */
export function messageOf(error: unknown): string {
  if (error instanceof AuthError || error instanceof FormError) return error.message;
  return 'The service could not be reached. Check your connection and try again.';
}

/**
 * Runs `submit` for a form: one at a time (its buttons are disabled meanwhile, and the one that had focus
 * gets it back), the service's message in the form's `.error` (announced: role=alert) when it refuses,
 * with the form's first field marked invalid until the next try.
 */
export function onSubmit(form: HTMLFormElement, submit: (data: FormData) => Promise<void>): void {
  const error = errorOf(form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll<HTMLButtonElement>('button')];
    const focused = buttons.find((button) => button === document.activeElement);
    const field = form.querySelector<HTMLInputElement>('input:not([type="hidden"])');
    error.textContent = '';
    field?.removeAttribute('aria-invalid');
    for (const button of buttons) button.disabled = true;
    submit(new FormData(form))
      .catch((failure: unknown) => {
        error.textContent = messageOf(failure);
        field?.setAttribute('aria-invalid', 'true');
      })
      .finally(() => {
        for (const button of buttons) button.disabled = false;
        // A disabled button loses focus to the page: the keyboard user would start over at the top.
        if (focused?.isConnected && !focused.closest('[hidden]')) focused.focus();
      });
  });
}

/** The form's error line (`<p class="error" role="alert">`), made if the markup has none. */
export function errorOf(container: HTMLElement): HTMLElement {
  let error = container.querySelector<HTMLElement>('.error');
  if (!error) {
    error = document.createElement('p');
    error.className = 'error';
    error.setAttribute('role', 'alert');
    container.append(error);
  }
  return error;
}

export function text(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}

/** Where a social sign-in keeps `return_to` across the provider's round trip (sessionStorage; no secret). */
export const RETURN_TO_KEY = 'lambda-jwt-auth.return_to';

/** The app URL to go back to after sign-in: `?return_to=` if it is exactly an allowed one, else the account page. */
export function afterSignIn(returnTo: string | null = new URLSearchParams(location.search).get('return_to')): string {
  if (returnTo !== null && pageConfig().returnUrls.includes(returnTo)) return returnTo;
  return pageUrl('auth/account');
}

/** A fragment's parameters (`#token=…`), read once and then removed from the address bar and history. */
export function takeFragment(): URLSearchParams {
  const params = new URLSearchParams(location.hash.slice(1));
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return params;
}

/** The data of a call through `client.api`, or the service's refusal as an AuthError (its message shown by onSubmit). */
export async function ok<T>(result: { data?: T; error?: unknown; response: Response }): Promise<T> {
  if (!result.response.ok || result.data === undefined) throw await authErrorOf(result.response, result.error);
  return result.data;
}
