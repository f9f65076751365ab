import type { components } from '../../../client/src/index';
import { client, element, errorOf, messageOf, ok, text } from '../common/page';
import { act, button, row, time } from '../common/ui';
import { submit, yesNo } from './ui';

export type User = components['schemas']['User'];

const PAGE_SIZE = 20;

export interface UserList {
  /** The page shown now, again (after a change), with the same search. */
  reload(): Promise<void>;
  /** Focus on that user's button if the page shows them, else on the list's heading. */
  focus(userId?: string): void;
  /** A line for the status (after a deletion, say). */
  say(message: string): void;
}

/**
 * The users, a page at a time, newest first, or those whose username or email starts with the search
 * (GET /api/admin/users). Each row's username is a button that opens the user (`open`).
 */
export function userList(open: (user: User) => void): UserList {
  const form = element<HTMLFormElement>('#search-form');
  const error = errorOf(form);
  const status = element('#list-status');
  const tbody = element('#users');
  const scroll = element('#list .table-scroll');
  const previous = element<HTMLButtonElement>('#previous-page');
  const next = element<HTMLButtonElement>('#next-page');
  const heading = element('#list-title');
  let search = '';
  /** The cursor of each page up to the one shown (undefined: the first page). */
  let cursors: (string | undefined)[] = [undefined];
  let nextCursor: string | null = null;

  function userRow(user: User): HTMLTableRowElement {
    const opener = button(user.username, 'link');
    opener.dataset.user = user.id;
    opener.addEventListener('click', () => open(user));
    return row([opener, user.email, user.roles.join(', '), user.mfaEnabled ? 'On' : 'Off', yesNo(user.emailVerified), time(user.createdAt)]);
  }

  async function load(): Promise<void> {
    const cursor = cursors.at(-1);
    const query = { limit: PAGE_SIZE, ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) };
    const page = await ok(await client.api.GET('/api/admin/users', { params: { query } }));
    nextCursor = page.nextCursor;
    tbody.replaceChildren(...page.users.map(userRow));
    scroll.hidden = page.users.length === 0;
    const count = `${page.users.length} user${page.users.length === 1 ? '' : 's'}`;
    status.textContent = page.users.length === 0 ? 'No users match.' : `Page ${cursors.length}: ${count}.`;
    previous.hidden = cursors.length === 1;
    next.hidden = nextCursor === null;
  }

  submit(
    form,
    status,
    async (data) => {
      search = text(data, 'search').trim();
      cursors = [undefined];
      await load();
    },
    element('#search'),
  );
  act(next, { heading, error }, async () => {
    if (nextCursor === null) return;
    cursors.push(nextCursor);
    await load().catch((failure: unknown) => {
      cursors.pop();
      throw failure;
    });
  });
  act(previous, { heading, error }, async () => {
    if (cursors.length > 1) cursors.pop();
    await load();
  });

  return {
    reload: () =>
      load().catch((failure: unknown) => {
        error.textContent = messageOf(failure);
      }),
    focus: (userId) => (tbody.querySelector<HTMLElement>(`button[data-user="${CSS.escape(userId ?? '')}"]`) ?? heading).focus(),
    say: (message) => {
      status.textContent = message;
    },
  };
}
