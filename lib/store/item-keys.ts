/**
 * The item key layout of the single table (see deploy/resources/dynamodb.yml), in one place. No SDK
 * import: the authorizer's signed fetch (live-session.ts) uses it too, without the DynamoDB client.
 */
export type AttemptScope = 'username' | 'ip' | 'mfa' | 'mail-ip' | 'signup-ip' | 'passkey-ip' | 'oauth-ip';

/**
 * The request counters' keys (sign-in and mail attempts, per-address mail quotas): the builders below
 * use them, and `npm run limits:clear` (lib/store/counters.ts) finds every counter by them.
 */
export const COUNTER_KEYS = {
  attempts: { pkPrefix: 'ATTEMPTS#', sk: 'COUNTER' },
  mailQuota: { pkPrefix: 'MAILQUOTA#', sk: 'QUOTA' },
} as const;

/** Each item's primary key (`pk`, `sk`), by kind of item. */
export const itemKeys = {
  user: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  usernameClaim: (normalized: string) => ({ pk: `USERNAME#${normalized}`, sk: 'CLAIM' }),
  emailClaim: (normalized: string) => ({ pk: `EMAIL#${normalized}`, sk: 'CLAIM' }),
  session: (userId: string, sessionId: string) => ({ pk: `USER#${userId}`, sk: `SESSION#${sessionId}` }),
  refreshToken: (tokenHash: string) => ({ pk: `REFRESH#${tokenHash}`, sk: 'TOKEN' }),
  /** Attempt counters: sign-ins per submitted username and per source IP, second-factor codes per user,
   * mails asked for per source IP (forgot, resend, sign-up's link), sign-ups per source IP, passkey sign-in
   * steps per source IP. */
  attempts: (scope: AttemptScope, value: string) => ({ pk: `${COUNTER_KEYS.attempts.pkPrefix}${scope}#${value}`, sk: COUNTER_KEYS.attempts.sk }),
  /** A security event of a user, newest last in sort order (the list reads backwards). */
  event: (userId: string, at: string, id: string) => ({ pk: `USER#${userId}`, sk: `EVENT#${at}#${id}` }),
  /** An emailed one-time token (password reset, email verification, email change), keyed by its SHA-256. */
  emailToken: (tokenHash: string) => ({ pk: `EMAILTOKEN#${tokenHash}`, sk: 'TOKEN' }),
  /** How many mails anonymous requests have caused to one address lately (lib/store/mail-quota.ts). */
  mailQuota: (normalizedEmail: string) => ({ pk: `${COUNTER_KEYS.mailQuota.pkPrefix}${normalizedEmail}`, sk: COUNTER_KEYS.mailQuota.sk }),
  /** The ids of every admin, in one string set: removing the last one is refused (lib/store/users.ts). */
  adminRoster: () => ({ pk: 'ADMINS', sk: 'ROSTER' }),
  /** A sign-in waiting for its second factor (the mfaToken's jti). */
  mfaChallenge: (challengeId: string) => ({ pk: `MFA#${challengeId}`, sk: 'CHALLENGE' }),
  /** A user's passkey (lib/store/passkeys.ts), by the SHA-256 of its credential id (ids run to 1,023 bytes; a sort key to 1,024). */
  passkey: (userId: string, credentialHash: string) => ({ pk: `USER#${userId}`, sk: `PASSKEY#${credentialHash}` }),
  /** Which user a credential id belongs to: one only, as for usernames. */
  passkeyClaim: (credentialHash: string) => ({ pk: `PASSKEY#${credentialHash}`, sk: 'CLAIM' }),
  /** A WebAuthn challenge handed out and not yet used, by its own value. */
  webauthnChallenge: (challenge: string) => ({ pk: `WEBAUTHN#${challenge}`, sk: 'CHALLENGE' }),
  /** A user's identity at an OpenID provider (lib/store/identities.ts): one per provider. */
  identity: (userId: string, providerId: string) => ({ pk: `USER#${userId}`, sk: `IDENTITY#${providerId}` }),
  /** Which user an identity (provider and subject, the subject by its SHA-256) belongs to: one only. */
  identityClaim: (providerId: string, subjectHash: string) => ({ pk: `IDENTITY#${providerId}#${subjectHash}`, sk: 'CLAIM' }),
  /** A social sign-in under way (state, nonce, PKCE verifier), by the SHA-256 of its state. */
  oauthState: (stateHash: string) => ({ pk: `OAUTHSTATE#${stateHash}`, sk: 'STATE' }),
  /** A link of an identity asked for by a signed-in user, waiting for its browser to start it, by its SHA-256. */
  oauthLink: (ticketHash: string) => ({ pk: `OAUTHLINK#${ticketHash}`, sk: 'TICKET' }),
  /** The one-time code a finished social sign-in hands the front-end, by its SHA-256. */
  oauthCode: (codeHash: string) => ({ pk: `OAUTHCODE#${codeHash}`, sk: 'CODE' }),
};

/**
 * The sparse index (see deploy/resources/dynamodb.yml): user profiles for the admin list, and each user's
 * refresh tokens, so deleting a user can find and delete them (they are keyed by hash, not by user).
 * Profiles are spread over USER_SHARDS partitions by the first byte of their random (v4) id, so no
 * burst of sign-ups or role changes meets one partition's 1,000 writes a second (issue 17; docs/design.md,
 * "Admin list and search at scale"). Profiles written before that sit in LEGACY_USERS_PARTITION until
 * `npm run migrate` moves them; the list reads both.
 */
export const USERS_INDEX = 'byType';
export const USER_SHARDS = 32;
export const LEGACY_USERS_PARTITION = 'USER';
export const usersPartition = (shard: number) => `USERS#${shard}`;
export function userShard(userId: string): number {
  const value = Number.parseInt(userId.slice(0, 2), 16);
  return Number.isNaN(value) ? 0 : value % USER_SHARDS;
}
export const userIndexKeys = (createdAt: string, userId: string) => ({
  gsi1pk: usersPartition(userShard(userId)),
  gsi1sk: `${createdAt}#${userId}`,
});

/**
 * The sparse prefix index over username and email claims, for the admin search (`begins_with` on the
 * normalised value). NAME_SHARDS partitions, chosen by the user's id: two claims per sign-up, so twice
 * the shards of the user list keep a 10,000-a-second burst under a partition's write limit.
 */
export const NAMES_INDEX = 'byName';
export const NAME_SHARDS = 64;
export const namesPartition = (shard: number) => `NAMES#${shard}`;
export const claimIndexKeys = (normalizedValue: string, userId: string) => ({
  gsi2pk: namesPartition(Number.parseInt(userId.slice(2, 4), 16) % NAME_SHARDS || 0),
  gsi2sk: normalizedValue,
});
export const refreshTokenIndexKeys = (userId: string, createdAt: string, tokenHash: string) => ({
  gsi1pk: `TOKENS#${userId}`,
  gsi1sk: `${createdAt}#${tokenHash}`,
});
