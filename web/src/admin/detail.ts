import type { components, Profile } from '../../../client/src/index';
import { client, element, FormError, messageOf, ok, text } from '../common/page';
import { act, button, device, row, time } from '../common/ui';
import { submit, yesNo } from './ui';
import type { User } from './users';

type Passkey = components['schemas']['Passkey'];
type SecurityEvent = components['schemas']['SecurityEvent'];
type Role = components['schemas']['Role'];

export interface DetailEvents {
  /** The user as now stored, after a change made here (roles, MFA). */
  changed(user: User): void;
  /** The user is gone; `message` is the service's. */
  deleted(user: User, message: string): void;
}

/**
 * One user: the profile as the list showed it, roles (PUT …/roles), MFA (DELETE …/mfa, after a confirm
 * step), live sessions, passkeys (remove, after a confirm step), security events a page at a time, and
 * deletion once the admin has typed the username. Every call is the admin API's; every refusal is shown
 * in the part it belongs to, in the service's words.
 */
export function userDetail(me: Profile, on: DetailEvents): { open(user: User): void } {
  let user: User | undefined;
  /** Bumped at each open: answers for a user no longer shown are dropped. */
  let visit = 0;
  const path = () => ({ params: { path: { id: user?.id ?? '' } } });

  const title = element('#user-title');
  const rolesForm = element<HTMLFormElement>('#roles-form');
  const rolesStatus = element('#roles-status');
  const mfaTitle = element('#mfa-title');
  const mfaReset = element<HTMLButtonElement>('#mfa-reset');
  const mfaConfirm = element('#mfa-confirm');
  const mfaConfirmButton = element<HTMLButtonElement>('#mfa-reset-confirm');
  const mfaStatus = element('#mfa-status');
  const mfaError = element('#mfa-error');
  const deleteStart = element<HTMLButtonElement>('#delete-start');
  const deleteForm = element<HTMLFormElement>('#delete-form');
  const deleteInput = element<HTMLInputElement>('#delete-confirm');

  /** A list part (sessions, passkeys, events): its heading, table body, empty line, status and error. */
  const part = (name: string) => ({
    heading: element(`#${name}-title`),
    tbody: element(`#${name}`),
    empty: element(`#${name}-empty`),
    status: document.querySelector<HTMLElement>(`#${name}-status`),
    error: element(`#${name}-error`),
  });
  const sessions = part('sessions');
  const passkeys = part('passkeys');
  const events = part('events');
  const eventsMore = element<HTMLButtonElement>('#events-more');
  let eventsCursor: string | null = null;

  function show(list: ReturnType<typeof part>, rows: HTMLTableRowElement[], append = false): void {
    if (append) list.tbody.append(...rows);
    else list.tbody.replaceChildren(...rows);
    const count = list.tbody.childElementCount;
    element('.table-scroll', list.heading.parentElement ?? document).hidden = count === 0;
    list.empty.hidden = count > 0;
  }

  /** Runs a load for the user shown now; its refusal goes to `error`, an answer for another user nowhere. */
  function load<T>(error: HTMLElement, call: () => Promise<T>, then: (answer: T) => void): Promise<void> {
    const mine = visit;
    error.textContent = '';
    return call().then(
      (answer) => {
        if (mine === visit) then(answer);
      },
      (failure: unknown) => {
        if (mine === visit) error.textContent = messageOf(failure);
      },
    );
  }

  const loadSessions = () =>
    load(
      sessions.error,
      async () => ok(await client.api.GET('/api/admin/users/{id}/sessions', path())),
      ({ sessions: list }) =>
        show(
          sessions,
          list.map((session) => row([time(session.createdAt), time(session.lastUsedAt), device(session.userAgent, false), session.ip ?? '—'])),
        ),
    );

  const loadPasskeys = () =>
    load(
      passkeys.error,
      async () => ok(await client.api.GET('/api/admin/users/{id}/passkeys', path())),
      ({ passkeys: list }) => show(passkeys, list.map(passkeyRow)),
    );

  function passkeyRow(passkey: Passkey): HTMLTableRowElement {
    const owner = user?.id ?? '';
    const remove = button('Remove', 'secondary', `Remove ${passkey.name}`);
    const confirm = button('Confirm removal', 'danger', `Confirm removal of ${passkey.name}`);
    const cancel = button('Cancel', 'secondary', `Keep ${passkey.name}`);
    confirm.hidden = true;
    cancel.hidden = true;
    const asking = (yes: boolean) => {
      remove.hidden = yes;
      confirm.hidden = !yes;
      cancel.hidden = !yes;
      (yes ? confirm : remove).focus();
    };
    remove.addEventListener('click', () => asking(true));
    cancel.addEventListener('click', () => asking(false));
    act(confirm, { heading: passkeys.heading, error: passkeys.error }, async () => {
      const { message } = await ok(await client.api.DELETE('/api/admin/users/{id}/passkeys/{pid}', { params: { path: { id: owner, pid: passkey.id } } }));
      if (passkeys.status) passkeys.status.textContent = message;
      await loadPasskeys();
    });
    const actions = document.createElement('div');
    actions.append(remove, confirm, cancel);
    return row([passkey.name, time(passkey.createdAt), time(passkey.lastUsedAt), actions]);
  }

  const actor = (event: SecurityEvent): string | Node => {
    if (event.actor === undefined) return 'The user';
    if (event.actor === me.id) return 'You';
    const code = document.createElement('code');
    code.textContent = event.actor;
    return code;
  };

  const loadEvents = (more = false) =>
    load(
      events.error,
      async () =>
        ok(
          await client.api.GET('/api/admin/users/{id}/events', {
            params: { path: { id: user?.id ?? '' }, query: more && eventsCursor ? { cursor: eventsCursor } : {} },
          }),
        ),
      (page) => {
        eventsCursor = page.nextCursor;
        eventsMore.hidden = eventsCursor === null;
        show(
          events,
          page.events.map((event) => row([event.type, time(event.at), event.ip ?? '—', device(event.userAgent, false), actor(event)])),
          more,
        );
      },
    );
  act(eventsMore, { heading: events.heading, error: events.error }, () => loadEvents(true));

  /** After a change that ends the user's sessions and records an event (unless another user is shown by now). */
  const afterChange = (mine: number, changed: User): boolean => {
    if (mine !== visit) return false;
    user = changed;
    on.changed(changed);
    void loadSessions();
    void loadEvents();
    return true;
  };

  function showMfa(): void {
    const enabled = user?.mfaEnabled === true;
    element('#mfa-state').textContent = enabled ? 'On: the user signs in with a code from an authenticator app or a recovery code.' : 'Off.';
    mfaReset.hidden = !enabled;
    mfaConfirm.hidden = true;
  }

  function showRoles(): void {
    for (const box of rolesForm.querySelectorAll<HTMLInputElement>('input[name="roles"]')) box.checked = user?.roles.includes(box.value as Role) === true;
  }

  submit(rolesForm, rolesStatus, async (data) => {
    const [target, mine] = [user, visit];
    if (!target) return;
    const roles = data.getAll('roles').map(String) as Role[];
    const answer = await ok(await client.api.PUT('/api/admin/users/{id}/roles', { ...path(), body: { roles } }));
    const self = target.id === me.id;
    if (!afterChange(mine, { ...target, roles: answer.roles })) return;
    showRoles();
    rolesStatus.textContent = `Roles saved: ${answer.roles.join(', ')}. ${self ? 'Your own sessions ended too: sign in again.' : "The user's sessions ended."}`;
  });

  mfaReset.addEventListener('click', () => {
    mfaStatus.textContent = '';
    mfaError.textContent = '';
    element('#mfa-confirm-text').textContent =
      `Turn off two-step verification for ${user?.username ?? ''}? Every session of theirs ends, and they sign in with their password alone until they set it up again.`;
    mfaReset.hidden = true;
    mfaConfirm.hidden = false;
    mfaConfirmButton.focus();
  });
  element('#mfa-reset-cancel').addEventListener('click', () => {
    showMfa();
    mfaReset.focus();
  });
  act(mfaConfirmButton, { heading: mfaTitle, error: mfaError }, async () => {
    const [target, mine] = [user, visit];
    if (!target) return;
    const { message } = await ok(await client.api.DELETE('/api/admin/users/{id}/mfa', path()));
    if (!afterChange(mine, { ...target, mfaEnabled: false })) return;
    showMfa();
    mfaStatus.textContent = message;
  });

  deleteStart.addEventListener('click', () => {
    deleteStart.hidden = true;
    deleteForm.hidden = false;
    deleteInput.focus();
  });
  element('#delete-cancel').addEventListener('click', () => {
    deleteForm.hidden = true;
    deleteStart.hidden = false;
    deleteStart.focus();
  });
  submit(
    deleteForm,
    null,
    async (data) => {
      if (!user) return;
      if (text(data, 'confirm').trim() !== user.username) throw new FormError(`Type the username ${user.username} exactly, to confirm.`);
      const gone = user;
      const { message } = await ok(await client.api.DELETE('/api/admin/users/{id}', path()));
      on.deleted(gone, message);
    },
    deleteInput,
  );

  return {
    open(shown) {
      user = shown;
      visit++;
      title.textContent = shown.username;
      element('#user-email').textContent = shown.email;
      element('#user-verified').textContent = yesNo(shown.emailVerified);
      element('#user-created').replaceChildren(time(shown.createdAt));
      element('#user-id').textContent = shown.id;
      element('#delete-name').textContent = shown.username;
      for (const line of document.querySelectorAll('#detail .error, #detail .notice')) line.textContent = '';
      for (const field of document.querySelectorAll('#detail [aria-invalid]')) field.removeAttribute('aria-invalid');
      deleteForm.reset();
      deleteForm.hidden = true;
      deleteStart.hidden = false;
      showRoles();
      showMfa();
      // Neither a table nor "none" until the answer is in.
      for (const list of [sessions, passkeys, events]) {
        show(list, []);
        list.empty.hidden = true;
      }
      eventsMore.hidden = true;
      void loadSessions();
      void loadPasskeys();
      void loadEvents();
    },
  };
}
