import type { components } from '../../../client/src/schema';
import { client, element, ok } from '../common/page';
import { act, button, device, row, time } from '../common/ui';
import { part } from './ui';

type Session = components['schemas']['Session'];
type SecurityEvent = components['schemas']['SecurityEvent'];

/** Where the user is signed in: each other session can be ended here; all of them with "Sign out everywhere". */
export function sessionsPart(signedOut: () => void): { load: () => Promise<void> } {
  const where = part('sessions');
  const list = element('#sessions');

  async function load(): Promise<void> {
    const { sessions } = await ok(await client.api.GET('/api/auth/sessions'));
    list.replaceChildren(...sessions.map(sessionRow));
  }

  function sessionRow(session: Session): HTMLTableRowElement {
    const what = device(session.userAgent);
    let action: Node = document.createTextNode('This device');
    if (!session.current) {
      const end = button('Sign out', 'secondary', `Sign out ${what}, signed in ${time(session.createdAt).textContent}`);
      act(end, where, async () => {
        const { message } = await ok(await client.api.DELETE('/api/auth/sessions/{id}', { params: { path: { id: session.id } } }));
        await load();
        if (where.status) where.status.textContent = message;
      });
      action = end;
    }
    return row([time(session.createdAt), time(session.lastUsedAt), what, session.ip ?? '—', action]);
  }

  act(element<HTMLButtonElement>('#sign-out-everywhere'), where, async () => {
    await client.signOut({ everywhere: true });
    signedOut();
  });

  return { load };
}

/** What happened to the account, newest first, a page at a time. */
const EVENT_NAMES: Record<string, string> = {
  'signin.success': 'Signed in',
  'signin.failure': 'Wrong password',
  'signin.locked': 'Sign-in locked after failed attempts',
  'signin.federated': 'Signed in with a provider',
  signout: 'Signed out',
  'refresh.reuse': 'Session ended: a refresh token was used twice',
  'password.change': 'Password changed',
  'password.reset': 'Password reset',
  'email.verify': 'Email verified',
  'email.change': 'Email changed',
  'mfa.enable': 'Two-step verification turned on',
  'mfa.disable': 'Two-step verification turned off',
  'mfa.reset': 'Two-step verification reset',
  'mfa.failure': 'Wrong two-step code',
  'recovery.regenerate': 'New recovery codes',
  'session.revoke': 'Session signed out',
  'roles.change': 'Roles changed',
  'passkey.add': 'Passkey added',
  'passkey.remove': 'Passkey removed',
  'passkey.signin': 'Signed in with a passkey',
  'passkey.counter': 'Passkey refused: it may have been copied',
  'identity.link': 'Provider linked',
  'identity.unlink': 'Provider unlinked',
};

export function eventsPart(): { load: () => Promise<void> } {
  const where = part('events');
  const list = element('#events');
  const more = element<HTMLButtonElement>('#events-more');
  let cursor: string | null = null;

  async function page(next: string | null): Promise<void> {
    const query = next === null ? { limit: 10 } : { limit: 10, cursor: next };
    const { events, nextCursor } = await ok(await client.api.GET('/api/auth/events', { params: { query } }));
    if (next === null) list.replaceChildren();
    list.append(...events.map(eventRow));
    element('#events-empty').hidden = list.childElementCount > 0;
    cursor = nextCursor;
    more.hidden = cursor === null;
  }

  function eventRow(event: SecurityEvent): HTMLTableRowElement {
    const name = EVENT_NAMES[event.type] ?? event.type;
    return row([event.actor ? `${name} (by an admin)` : name, time(event.at), event.ip ?? '—', device(event.userAgent)]);
  }

  act(more, where, () => page(cursor));
  return { load: () => page(null) };
}
