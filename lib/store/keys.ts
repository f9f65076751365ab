/**
 * The item key layout of the single table (see deploy/resources/dynamodb.yml), in one place. No SDK
 * import: the authorizer's signed fetch (live-session.ts) uses it too, without the DynamoDB client.
 */
export type AttemptScope = 'username' | 'ip' | 'mfa' | 'mail-ip';

export const keys = {
  user: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  usernameClaim: (normalized: string) => ({ pk: `USERNAME#${normalized}`, sk: 'CLAIM' }),
  emailClaim: (normalized: string) => ({ pk: `EMAIL#${normalized}`, sk: 'CLAIM' }),
  session: (userId: string, sessionId: string) => ({ pk: `USER#${userId}`, sk: `SESSION#${sessionId}` }),
  refreshToken: (tokenHash: string) => ({ pk: `REFRESH#${tokenHash}`, sk: 'TOKEN' }),
  /** Attempt counters: sign-ins per submitted username and per source IP, second-factor codes per user,
   * mail requests per source IP. */
  attempts: (scope: AttemptScope, value: string) => ({ pk: `ATTEMPTS#${scope}#${value}`, sk: 'COUNTER' }),
  /** A security event of a user, newest last in sort order (the list reads backwards). */
  event: (userId: string, at: string, id: string) => ({ pk: `USER#${userId}`, sk: `EVENT#${at}#${id}` }),
  /** An emailed one-time token (password reset, email verification), keyed by its SHA-256. */
  emailToken: (tokenHash: string) => ({ pk: `EMAILTOKEN#${tokenHash}`, sk: 'TOKEN' }),
  /** How many mails anonymous requests have caused to one address lately (lib/store/mail-quota.ts). */
  mailQuota: (normalizedEmail: string) => ({ pk: `MAILQUOTA#${normalizedEmail}`, sk: 'QUOTA' }),
  /** A sign-in waiting for its second factor (the mfaToken's jti). */
  mfaChallenge: (challengeId: string) => ({ pk: `MFA#${challengeId}`, sk: 'CHALLENGE' }),
};

/**
 * The sparse index (see deploy/resources/dynamodb.yml): user profiles for the admin list, and each user's
 * refresh tokens, so deleting a user can find and delete them (they are keyed by hash, not by user).
 */
export const USERS_INDEX = 'byType';
export const userIndexKeys = (createdAt: string, userId: string) => ({ gsi1pk: 'USER', gsi1sk: `${createdAt}#${userId}` });
export const refreshTokenIndexKeys = (userId: string, createdAt: string, tokenHash: string) => ({
  gsi1pk: `TOKENS#${userId}`,
  gsi1sk: `${createdAt}#${tokenHash}`,
});

