import { assert, createCredential, type SoftCredential } from '../../../scripts/soft-authenticator';
import type { ApiResponse } from '../api';
import { ALLOWED_ORIGIN, call } from './http';
import { expectStatus, latestAccess, liveSession, pick, pickUser, type Planner } from './plan';
import { openSession } from './session-ops';
import { addEvent, expectThat, LOCKOUT_THRESHOLD, userOf } from './state';

// Passkeys (issue 23) in the model run: registered from a live session, used to sign in usernameless.
// The credentials' private keys stay here, outside the model: the model is copied with structuredClone
// once per order of a race, which cannot copy a KeyObject, and a key is never the model's to change.
const credentials = new Map<string, SoftCredential>();

/** The service's one answer to every failed passkey sign-in. */
const SIGN_IN_FAILED = 'Passkey sign-in failed.';

/** A whole usernameless sign-in with a credential: options, the authenticator's answer (with user verification), verify. */
export async function signInWithPasskey(ip: string, credentialId: string): Promise<ApiResponse[]> {
  const options = await call(ip, 'POST', '/api/auth/passkeys/signin/options', {});
  if (options.status !== 200) return [options];
  const challengeId = options.json.challengeId as string;
  const response = assert(credentials.get(credentialId)!, challengeId, { origin: ALLOWED_ORIGIN, userVerified: true });
  return [options, await call(ip, 'POST', '/api/auth/passkeys/signin/verify', { challengeId, response })];
}

/**
 * Registers a passkey from a live session: the options need the password (one attempt against the
 * username's lockout, never cleared by it), the verify the authenticator's new credential. Synced-style
 * (its counter stays 0), so two sign-ins with it at once may both succeed. Sequential only: two requests.
 */
export const addPasskey: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const via = user && liveSession(model, user, spec.s);
  // Three are enough to pick among; the service's cap (20 an account) is the e2e tier's to test.
  if (!user || !via || user.attempts + 1 > LOCKOUT_THRESHOLD || user.passkeys.length >= 3) return undefined;
  let credentialId = '';
  return {
    label: `addPasskey(u${spec.u}.s${spec.s})`,
    users: [user.key],
    racy: false,
    async send() {
      const token = latestAccess(via);
      const options = await call(user.ip, 'POST', '/api/auth/passkeys/register/options', { password: user.password }, { token });
      if (options.status !== 200) return [options];
      const made = createCredential(options.json as unknown as Parameters<typeof createCredential>[0], { origin: ALLOWED_ORIGIN, userVerified: true });
      credentialId = made.credential.id;
      credentials.set(credentialId, made.credential);
      return [options, await call(user.ip, 'POST', '/api/auth/passkeys/register/verify', { response: made.response }, { token })];
    },
    apply(m, [options, verify]) {
      const u = userOf(m, user.key);
      u.attempts += 1;
      expectStatus(options, 200, 'passkey registration options from a live session with the password succeed');
      expectStatus(verify, 200, 'a new credential answering the registration challenge is registered');
      expectThat(verify.json.id === credentialId, `the registered passkey is the credential made: ${verify.json.id}, not ${credentialId}`);
      u.passkeys.push(credentialId);
      addEvent(u, 'passkey.add');
    },
  };
};

/**
 * A usernameless sign-in with one of the user's passkeys (`t` picks which), deleted users' too: theirs
 * must be refused. With user verification the passkey is both factors: amr hwk, user, mfa, and no TOTP
 * step even with MFA on. The session is written under the credentials version read with the passkey, or
 * not at all: racing a credentials change, a 401 is the answer of an order where the change came first.
 */
export const passkeySignIn: Planner = (model, spec) => {
  const user = pickUser(model, spec);
  const credentialId = user && pick(user.passkeys, spec.t);
  if (!user || !credentialId) return undefined;
  const plannedVersion = user.credVersion;
  return {
    label: `passkeySignIn(u${spec.u}, passkey ${spec.t})`,
    users: [user.key],
    racy: true,
    send: () => signInWithPasskey(user.ip, credentialId),
    apply(m, [options, verify], racing) {
      const u = userOf(m, user.key);
      expectStatus(options, 200, 'passkey sign-in options are public and answer 200');
      const changedBefore = racing && u.credVersion !== plannedVersion;
      if (u.deleted || (changedBefore && verify?.status === 401)) {
        expectStatus(verify, 401, u.deleted ? 'a deleted user has nothing left: a passkey sign-in' : 'a passkey sign-in read before a credentials change');
        expectThat(verify.json.message === SIGN_IN_FAILED, `a refused passkey sign-in answers "${SIGN_IN_FAILED}", not ${verify.json.message}`);
        return;
      }
      expectStatus(verify, 200, 'a passkey sign-in with a registered passkey succeeds');
      openSession(m, u, verify, ['hwk', 'user', 'mfa'], 'passkey.signin');
    },
  };
};
