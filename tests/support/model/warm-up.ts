import { apiFrom } from '../api';

/** Every route the model's commands use, each with a request it refuses: enough to load its function. */
const ROUTES: [method: string, path: string, body?: unknown][] = [
  ['POST', '/api/auth/signup', {}],
  ['POST', '/api/auth/signin', { username: 'warm-up-nobody', password: 'x' }],
  ['POST', '/api/auth/refreshtoken', {}],
  ['POST', '/api/auth/signout', {}],
  ['POST', '/api/auth/password', {}],
  ['POST', '/api/auth/password/forgot', { email: 'not an address' }],
  ['POST', '/api/auth/password/reset', { token: 'x', newPassword: 'x' }],
  ['POST', '/api/auth/mfa/totp/setup', {}],
  ['POST', '/api/auth/mfa/totp/confirm', {}],
  ['DELETE', '/api/auth/mfa/totp', {}],
  ['POST', '/api/auth/mfa/verify', { mfaToken: 'x', code: '000000' }],
  ['DELETE', '/api/auth/sessions/x'],
  ['GET', '/api/auth/me'],
  ['GET', '/api/admin/users?search=warm-up'],
  ['PUT', '/api/admin/users/x/roles', { roles: ['user'] }],
  ['DELETE', '/api/admin/users/x/mfa'],
  ['DELETE', '/api/admin/users/x'],
  ['GET', '/api/admin/users/x/events'],
];

/**
 * Loads every function the model calls before the run, with the admin's token so the authorizer and
 * the admin functions load too: a cold start on a loaded 2-core machine can take longer than the 2 s
 * request deadline (503), which is the machine's start-up, not an answer the model judges. Retries a
 * 5xx here (only here) a few times.
 */
export async function warmUp(adminToken: string): Promise<void> {
  await Promise.all(
    ROUTES.map(async ([method, path, body]) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const answer = await apiFrom('127.0.0.1', method, path, body, { 'x-access-token': adminToken });
        if (answer.status < 500) return;
      }
    }),
  );
}
