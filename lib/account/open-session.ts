import { randomUUID } from 'node:crypto';
import type { AuthMethods } from '../access/tokens';
import { InvalidCredentialsError } from '../shared/errors';
import { toAuthorities } from '../shared/roles';
import { createSession } from '../store/sessions';
import { getUser, type User } from '../store/users';
import { newRefreshRecord, sessionTokenFor, type TokenPair } from './session-tokens';
import { eventToWrite } from './events';
import type { SessionDeps } from './types';

/** The event of a sign-in, by its first factor: a password's, a passkey's, an OpenID provider's. */
const SIGN_IN_EVENTS = { pwd: 'signin.success', hwk: 'passkey.signin', fed: 'signin.federated' } as const;

/** A session opened: the user as it was opened for, its roles in the tutorial's form, and its tokens. */
export type SignedIn = { user: User; authorities: string[] } & TokenPair;

/**
 * The second half of a sign-in: opens a session for a user whose password was just checked, under the credentials version read with
 * that password. If a password or role change commits in between, nothing is stored: with the password
 * changed the sign-in fails like a wrong password; with only the roles changed, it opens the session
 * under the new version and roles (the password checked is still the user's). With `unchangedOr` it
 * opens under `checked.credVersion` or not at all, throwing that error: the second step of a two-step
 * sign-in, whose first step must not outlast any change made between the two.
 */
export async function openSession(deps: SessionDeps, checked: User, amr: AuthMethods, unchangedOr?: Error): Promise<SignedIn> {
  let user = checked;
  for (let attempt = 0; attempt < 3; attempt++) {
    const sessionId = randomUUID();
    const { token, record } = newRefreshRecord(deps, user.id, sessionId);
    const session = {
      userId: user.id,
      sessionId,
      createdAt: record.createdAt,
      lastUsedAt: record.createdAt,
      userAgent: deps.client.userAgent?.slice(0, 256),
      ip: deps.client.ip,
      expiresAt: record.expiresAt,
      credVersion: user.credVersion,
      amr,
    };
    // The sign-in's event (SIGN_IN_EVENTS) is written in the session's own transaction:
    // no extra round trip, never wrong.
    if (await createSession(deps.table, session, record, eventToWrite(deps, user.id, SIGN_IN_EVENTS[amr[0]]))) {
      const claims = { userId: user.id, roles: user.roles, sessionId, amr };
      const [accessToken, cookieToken] = await Promise.all([
        sessionTokenFor(deps, claims, 'header'),
        deps.config.authCookie ? sessionTokenFor(deps, claims, 'cookie') : undefined,
      ]);
      return { user, authorities: toAuthorities(user.roles), accessToken, refreshToken: token, cookieToken };
    }
    if (unchangedOr) throw unchangedOr;
    // (A re-hash at sign-in changes the hash but not the version: sign-in.ts passes the re-hashed user.)
    // MFA switched on or off in between: this sign-in's factors no longer fit the account.
    const current = await getUser(deps.table, user.id);
    if (!current || current.passwordHash !== checked.passwordHash || current.mfaEnabled !== checked.mfaEnabled) throw new InvalidCredentialsError();
    user = current;
  }
  throw new InvalidCredentialsError();
}
