import { randomBytes, randomUUID } from 'node:crypto';
import type { AccountDeps } from '../account/types';
import { EmailTakenError, UsernameTakenError } from '../shared/errors';
import { NO_PASSWORD } from '../shared/passwords';
import { isEmailAddress } from '../shared/validation';
import { identityItems, identityOwner } from '../store/identities';
import { createUser, findUserByEmail, getUser, type User } from '../store/users';

/** What an ID token says of its person, as the linking rules read it. */
export interface FederatedClaims {
  provider: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
}

/**
 * `email_verified` as providers send it: the JSON true, or the string "true" (some providers send strings).
 * Anything else, the string "false" included, is not verified.
 */
export function isEmailVerified(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Why a federated sign-in opens no account (the codes of MESSAGES.federation). */
export type FederationRefusal = 'account_exists' | 'email_unverified' | 'no_email' | 'signin_failed';

export type FederatedAccount = { kind: 'user'; user: User; created: boolean } | { kind: 'refused'; reason: FederationRefusal };

/**
 * The account a federated sign-in is for, by the rules that keep it from taking over someone else's:
 * - an identity already linked signs in its user, whatever the email says now;
 * - a new identity makes a new account only with an email the provider verified and no account uses
 *   (any account, verified or not: an attacker's unverified sign-up with a victim's address must not
 *   become the victim's on their first social sign-in, nor the other way round). It is never linked to
 *   an existing account automatically; the user signs in and links it (link.ts).
 * The new account has no password (NO_PASSWORD), its email counts as verified, and its username is
 * made from the email's local part, unique.
 */
export async function accountForIdentity(deps: AccountDeps, claims: FederatedClaims): Promise<FederatedAccount> {
  const linked = await signedInUser(deps, claims);
  if (linked !== 'none') return linked;
  if (!claims.email || !isEmailAddress(claims.email)) return { kind: 'refused', reason: 'no_email' };
  if (!claims.emailVerified) return { kind: 'refused', reason: 'email_unverified' };
  if (await findUserByEmail(deps.table, claims.email)) return { kind: 'refused', reason: 'account_exists' };
  for (let attempt = 0; attempt < 5; attempt++) {
    const user: User = {
      id: randomUUID(),
      username: usernameFor(claims.email, attempt),
      email: claims.email,
      passwordHash: NO_PASSWORD,
      roles: ['user'],
      createdAt: deps.now().toISOString(),
      credVersion: 0,
      mfaEnabled: false,
      emailVerified: true,
    };
    const identity = { userId: user.id, provider: claims.provider, subject: claims.subject, email: claims.email, linkedAt: user.createdAt };
    try {
      await createUser(deps.table, user, undefined, identityItems(deps.table, identity));
      return { kind: 'user', user, created: true };
    } catch (error) {
      if (error instanceof UsernameTakenError) continue;
      if (!(error instanceof EmailTakenError)) throw error;
      // The same identity's first sign-in in another tab at once made the account: sign in to it.
      const raced = await signedInUser(deps, claims);
      return raced === 'none' ? { kind: 'refused', reason: 'account_exists' } : raced;
    }
  }
  return { kind: 'refused', reason: 'signin_failed' };
}

/** The user an identity is linked to, 'none' for an identity nobody linked. */
async function signedInUser(deps: AccountDeps, claims: FederatedClaims): Promise<FederatedAccount | 'none'> {
  const owner = await identityOwner(deps.table, claims.provider, claims.subject);
  if (!owner) return 'none';
  const user = await getUser(deps.table, owner);
  // A claim whose user is gone: a deletion under way (it removes identities after the profile).
  return user ? { kind: 'user', user, created: false } : { kind: 'refused', reason: 'signin_failed' };
}

/**
 * A username from an email's local part (the sign-up rules: 3 to 32 of letters, digits, '.', '_', '-'),
 * with a random suffix after the first try: `ada.lovelace`, then `ada.lovelace-3f9a1c`.
 */
export function usernameFor(email: string, attempt: number): string {
  const local = (email.split('@')[0] ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 24);
  const base = local.length >= 3 ? local : `user${local}`;
  return attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
}
