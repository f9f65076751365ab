import type { Profile } from '../../../client/src/index';
import { userDetail } from '../admin/detail';
import { type User, userList } from '../admin/users';
import { client, element, messageOf, ok, pageUrl } from '../common/page';
import '../common/styles.css';

/**
 * The admin console (/admin): users, searched and paged, and one user's detail, every action through the
 * admin API. Signed out: the sign-in page. Signed in without the admin role: a plain refusal, and no admin
 * call at all (the API refuses them anyway: this only spares the requests). A user's detail has a history
 * entry of its own (`admin?user=<id>`, the user in its state), so Back returns to the list.
 */
const loading = element('#loading');
const listPart = element('#list');
const detailPart = element('#detail');

function openConsole(me: Profile): void {
  const detailUrl = (user: User) => `${pageUrl('admin')}?user=${encodeURIComponent(user.id)}`;
  /** The user whose detail was shown last: focus returns to their row. */
  let lastShown: string | undefined;
  let pushed = false;

  const list = userList((user) => {
    history.pushState({ user }, '', detailUrl(user));
    pushed = true;
    showDetail(user);
  });
  const detail = userDetail(me, {
    changed: (user) => history.replaceState({ user }, '', detailUrl(user)),
    deleted: (user, message) => {
      // One's own account gone, one's session with it.
      if (user.id === me.id) {
        location.assign(pageUrl('auth/sign-in'));
        return;
      }
      history.replaceState(null, '', pageUrl('admin'));
      lastShown = undefined;
      showList(message);
    },
  });

  function showDetail(user: User): void {
    lastShown = user.id;
    listPart.hidden = true;
    detailPart.hidden = false;
    detail.open(user);
    element('#user-title').focus();
  }

  /** The list, its page loaded again (roles and MFA may have changed); focus back where the admin left it. */
  function showList(message?: string, focus = true): void {
    detailPart.hidden = true;
    listPart.hidden = false;
    void list.reload().then(() => {
      if (message) list.say(message);
      if (focus) list.focus(lastShown);
    });
  }

  function route(focus = true): void {
    const state = history.state as { user?: User } | null;
    const id = new URLSearchParams(location.search).get('user');
    if (state?.user && state.user.id === id) {
      showDetail(state.user);
      return;
    }
    // A link to a user without the page's state: the list (there is no route to read one user by id).
    if (id !== null) history.replaceState(null, '', pageUrl('admin'));
    showList(undefined, focus);
  }

  element('#back').addEventListener('click', () => {
    if (pushed) {
      history.back();
      return;
    }
    history.replaceState(null, '', pageUrl('admin'));
    route();
  });
  window.addEventListener('popstate', () => route());
  route(false);
}

async function start(): Promise<void> {
  const answer = await client.api.GET('/api/auth/me');
  if (answer.response.status === 401) return location.assign(pageUrl('auth/sign-in'));
  const me = await ok(answer);
  loading.hidden = true;
  if (!me.roles.includes('ROLE_ADMIN')) {
    element('#refusal').hidden = false;
    return;
  }
  openConsole(me);
}

start().catch((failure: unknown) => {
  loading.hidden = true;
  element('#load-error').textContent = messageOf(failure);
});
