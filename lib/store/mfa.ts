import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './item-keys';
import { credVersionIs, RESET_POINTER } from './users';
import { conditionally, guarded, putNewItem, type Table, transact } from './table';

/**
 * The second factor as the profile item holds it. The TOTP secret is stored sealed (lib/access/secrets.ts)
 * and never returned after setup; recovery codes only as SHA-256 hashes, in a string set, so using one is
 * a single conditional DELETE from the set.
 */
export interface MfaState {
  enabled: boolean;
  /** Sealed secret of the active authenticator. */
  secret: string | undefined;
  /** Sealed secret waiting for its first code (setup, not yet confirmed). */
  pending: string | undefined;
  /** How many recovery codes are left unused. */
  recoveryCodesLeft: number;
  credVersion: number;
}

export async function getMfaState(table: Table, userId: string): Promise<MfaState | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(
      new GetCommand({
        TableName: table.name,
        Key: itemKeys.user(userId),
        ConsistentRead: true,
        ProjectionExpression: 'mfaEnabled, totpSecret, totpPending, recoveryCodes, credVersion',
      }),
      options,
    ),
  );
  const item = result.Item;
  if (!item) return undefined;
  return {
    enabled: item.mfaEnabled === true,
    secret: typeof item.totpSecret === 'string' ? item.totpSecret : undefined,
    pending: typeof item.totpPending === 'string' ? item.totpPending : undefined,
    // The last code spent removes the set itself (DynamoDB stores no empty set).
    recoveryCodesLeft: item.recoveryCodes instanceof Set ? item.recoveryCodes.size : 0,
    credVersion: Number(item.credVersion ?? 0),
  };
}

/** Keeps a new secret until it is confirmed (a setup again replaces it). False when the user is gone. */
export function savePendingSecret(table: Table, userId: string, sealed: string): Promise<boolean> {
  return conditionalUpdate(table, userId, {
    UpdateExpression: 'SET totpPending = :sealed',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':sealed': sealed },
  });
}

/** The profile's side of MFA off (a credentials change: the version bump and the reset link's end, users.ts CREDENTIALS_CHANGED). Needs `:off` and `:one`. */
const MFA_OFF = `SET mfaEnabled = :off REMOVE totpSecret, totpPending, recoveryCodes, totpLastStep, ${RESET_POINTER} ADD credVersion :one`;

/**
 * Turns MFA on or off and bumps the credentials version in one transaction, so every other session (and
 * any password-only sign-in racing this) is dead, and the live reset link with it (users.ts
 * CREDENTIALS_CHANGED); `keepSession` is re-stamped with the new version in
 * the same transaction, so the caller's own session lives on (an admin reset keeps none). Turning on
 * requires the pending secret to be still the one confirmed. False when a condition failed: the user's
 * credentials or pending secret changed in between, or the kept session is gone.
 */
export async function switchMfa(
  table: Table,
  userId: string,
  change: { enable: true; pending: string; recoveryHashes: string[]; step: number } | { enable: false },
  credVersion: number,
  keepSession: string | undefined,
): Promise<boolean> {
  const versionCondition = credVersionIs(credVersion);
  const profile = change.enable
    ? {
        UpdateExpression: `SET mfaEnabled = :on, totpSecret = :secret, recoveryCodes = :codes, totpLastStep = :step REMOVE totpPending, ${RESET_POINTER} ADD credVersion :one`,
        ConditionExpression: `attribute_exists(pk) AND ${versionCondition} AND totpPending = :secret`,
        ExpressionAttributeValues: {
          ':on': true,
          ':secret': change.pending,
          ':codes': new Set(change.recoveryHashes),
          ':step': change.step,
          ':version': credVersion,
          ':one': 1,
        },
      }
    : {
        UpdateExpression: MFA_OFF,
        ConditionExpression: `attribute_exists(pk) AND ${versionCondition}`,
        ExpressionAttributeValues: { ':off': false, ':version': credVersion, ':one': 1 },
      };
  const failed = await transact(table, [
    { Update: { TableName: table.name, Key: itemKeys.user(userId), ...profile } },
    ...(keepSession === undefined
      ? []
      : [
          {
            Update: {
              TableName: table.name,
              Key: itemKeys.session(userId, keepSession),
              UpdateExpression: 'SET credVersion = :next',
              // Kept only while it is live under the version the change was checked against: a session
              // that a password or role change ended (before its own revocation step ran) stays ended.
              ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(revokedAt) AND ${versionCondition}`,
              ExpressionAttributeValues: { ':next': credVersion + 1, ':version': credVersion },
            },
          },
        ]),
  ]);
  return failed.length === 0;
}

/**
 * An admin's MFA reset: off, and the credentials version bumped, whatever the version is now. Not
 * conditioned on a version read before, unlike switchMfa: a password, role or MFA change committed in
 * between changes nothing the reset decides (it ends every session all the same), so it must not make the
 * reset fail. False only when the user does not exist.
 */
export function forceMfaOff(table: Table, userId: string): Promise<boolean> {
  return conditionalUpdate(table, userId, {
    UpdateExpression: MFA_OFF,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':off': false, ':one': 1 },
  });
}

/**
 * Spends a TOTP time step: accepted only if it is later than the last one used, so a code (or an older
 * one) is never accepted twice, even by two requests at the same moment. False for a replay.
 */
export async function spendTotpStep(table: Table, userId: string, step: number): Promise<boolean> {
  return conditionalUpdate(table, userId, {
    UpdateExpression: 'SET totpLastStep = :step',
    ConditionExpression: 'mfaEnabled = :on AND (attribute_not_exists(totpLastStep) OR totpLastStep < :step)',
    ExpressionAttributeValues: { ':step': step, ':on': true },
  });
}

/**
 * Replaces the whole set of recovery codes with new hashes, in one write on the profile item: a code
 * spent at the same moment (spendRecoveryCode, a DELETE from the set on the same item) is applied either
 * before, and is spent, or after, and finds its hash gone. No old code survives. Only while MFA is on and
 * the credentials are still `credVersion` (the version whose password the caller checked); false otherwise.
 */
export function replaceRecoveryCodes(table: Table, userId: string, hashes: string[], credVersion: number): Promise<boolean> {
  return conditionalUpdate(table, userId, {
    UpdateExpression: 'SET recoveryCodes = :codes',
    ConditionExpression: `mfaEnabled = :on AND ${credVersionIs(credVersion)}`,
    ExpressionAttributeValues: { ':codes': new Set(hashes), ':on': true, ':version': credVersion },
  });
}

/** Spends a recovery code (by hash): removed from the set only if it is in it. False when it is not. */
export async function spendRecoveryCode(table: Table, userId: string, hash: string): Promise<boolean> {
  return conditionalUpdate(table, userId, {
    UpdateExpression: 'DELETE recoveryCodes :used',
    ConditionExpression: 'mfaEnabled = :on AND contains(recoveryCodes, :hash)',
    ExpressionAttributeValues: { ':used': new Set([hash]), ':hash': hash, ':on': true },
  });
}

function conditionalUpdate(
  table: Table,
  userId: string,
  update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
): Promise<boolean> {
  return conditionally(table, (options) => table.client.send(new UpdateCommand({ TableName: table.name, Key: itemKeys.user(userId), ...update }), options));
}

/** A sign-in waiting for its second factor: who, under which credentials, and how many wrong codes so far. */
export interface MfaChallenge {
  challengeId: string;
  userId: string;
  credVersion: number;
  failures: number;
  /** Epoch seconds; also the table's TTL attribute. */
  expiresAt: number;
  /** What the first step proved: the password, or a passkey without user verification (absent: the password). */
  firstFactor?: 'pwd' | 'hwk' | 'fed';
}

export function createChallenge(table: Table, challenge: MfaChallenge): Promise<void> {
  return putNewItem(table, { ...itemKeys.mfaChallenge(challenge.challengeId), type: 'mfaChallenge', ...challenge });
}

export async function getChallenge(table: Table, challengeId: string): Promise<MfaChallenge | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.mfaChallenge(challengeId), ConsistentRead: true }), options),
  );
  if (!result.Item) return undefined;
  const { userId, credVersion, failures, expiresAt, firstFactor } = result.Item as MfaChallenge;
  return {
    challengeId,
    userId,
    credVersion: Number(credVersion),
    failures: Number(failures),
    expiresAt: Number(expiresAt),
    firstFactor: firstFactor === 'hwk' || firstFactor === 'fed' ? firstFactor : 'pwd',
  };
}

/** Counts a wrong code; the challenge is dead once `maxFailures` are counted. */
export async function failChallenge(table: Table, challengeId: string, maxFailures: number): Promise<void> {
  await conditionally(table, (options) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.mfaChallenge(challengeId),
        UpdateExpression: 'ADD failures :one',
        ConditionExpression: 'attribute_exists(pk) AND failures < :max',
        ExpressionAttributeValues: { ':one': 1, ':max': maxFailures },
      }),
      options,
    ),
  );
}

/** Uses a challenge up: of two verifications at once, exactly one gets true. */
export function spendChallenge(table: Table, challengeId: string, maxFailures: number): Promise<boolean> {
  return conditionally(table, (options) =>
    table.client.send(
      new DeleteCommand({
        TableName: table.name,
        Key: itemKeys.mfaChallenge(challengeId),
        ConditionExpression: 'attribute_exists(pk) AND failures < :max',
        ExpressionAttributeValues: { ':max': maxFailures },
      }),
      options,
    ),
  );
}
