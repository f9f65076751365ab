import { type ApiResponse, freshLoopback } from '../api';
import { call } from './http';
import { expectStatus, pickUser, type Planner } from './plan';
import { openSession } from './session-ops';
import { addEvent, changeCredentials, type Model, type ModelUser, type Role, sessionsOf, userOf } from './state';

/** The admin's requests come from the default loopback address, away from every model user's. */
const ADMIN_IP = '127.0.0.1';

/** Users per sequence, the first made by the setup: enough for one user's actions to be seen not to leak to another. */
export const MAX_USERS = 3;

/**
 * Sign-up of a new user (from an address of its own), and its first sign-in: the id comes from there
 * (the admin search would do, but it queries every name shard: too heavy to run per step).
 */
export const signUp: Planner = (model) => {
  if (model.users.length >= MAX_USERS) return undefined;
  const index = model.users.length;
  const username = `${model.prefix}${index}`;
  const fresh = { username, email: `${username}@example.com`, password: `pw ${username}`, ip: freshLoopback() };
  const key = `u${index}`;
  return {
    label: 'signUp()',
    users: [key],
    racy: false,
    send: async () => [
      await call(fresh.ip, 'POST', '/api/auth/signup', { username, email: fresh.email, password: fresh.password }),
      await call(fresh.ip, 'POST', '/api/auth/signin', { username, password: fresh.password }),
    ],
    apply(m, [answer, first]) {
      expectStatus(answer, 200, 'sign-up of a new name succeeds');
      expectStatus(first, 200, 'a new user signs in');
      m.users.push(newModelUser(key, first.json.id as string, fresh));
      openSession(m, userOf(m, key), first, ['pwd']);
    },
  };
};

function newModelUser(key: string, id: string, fresh: { username: string; email: string; password: string; ip: string }): ModelUser {
  return {
    key,
    id,
    ...fresh,
    roles: ['user'],
    credVersion: 0,
    mfa: undefined,
    deleted: false,
    attempts: 0,
    codeAttempts: 0,
    mailRequests: 1,
    resetLinks: [],
    challenges: [],
    passkeys: [],
    events: {},
  };
}

/** An admin request about a model user: 404 once the user is deleted, else `applied`. */
function adminOp(
  label: string,
  request: (user: ModelUser) => { method: string; path: string; body?: unknown },
  applied: (m: Model, user: ModelUser, answer: ApiResponse) => void,
): Planner {
  return (model, spec) => {
    const user = pickUser(model, spec);
    if (!user) return undefined;
    const { method, path, body } = request(user);
    return {
      label: `${label}(u${spec.u})`,
      users: [user.key],
      racy: true,
      send: async (context) => [await call(ADMIN_IP, method, path, body, { token: await context.adminToken() })],
      apply(m, [answer]) {
        const u = userOf(m, user.key);
        if (u.deleted) return expectStatus(answer, 404, `a deleted user has nothing left: ${label} finds no user`);
        expectStatus(answer, 200, `${label} by an admin succeeds`);
        applied(m, u, answer);
      },
    };
  };
}

export const setRoles: Planner = (model, spec) =>
  adminOp(
    spec.flag ? 'promote' : 'demote',
    (user) => ({ method: 'PUT', path: `/api/admin/users/${user.id}/roles`, body: { roles: spec.flag ? ['user', 'moderator'] : ['user'] } }),
    (m, u) => {
      u.roles = (spec.flag ? ['user', 'moderator'] : ['user']) as Role[];
      changeCredentials(m, u, { revokeAll: true });
      addEvent(u, 'roles.change');
    },
  )(model, spec);

export const resetMfa = adminOp(
  'adminResetMfa',
  (user) => ({ method: 'DELETE', path: `/api/admin/users/${user.id}/mfa` }),
  (m, u) => {
    u.mfa = undefined;
    changeCredentials(m, u, { revokeAll: true });
    addEvent(u, 'mfa.reset');
  },
);

export const deleteUser = adminOp(
  'deleteUser',
  (user) => ({ method: 'DELETE', path: `/api/admin/users/${user.id}` }),
  (m, u) => {
    u.deleted = true;
    u.events = {};
    for (const session of sessionsOf(m, u.key)) session.revoked = true;
  },
);
