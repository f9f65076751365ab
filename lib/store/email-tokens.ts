import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './item-keys';
import { guarded, isTransactionConflict, type Table, transact } from './table';
import { claimItem, credVersionIs, normalizeIdentifier, RESET_POINTER } from './users';

/**
 * What an emailed token is for. Each purpose has one live token per user at most. `email-change`: the
 * link mailed to the new address of a requested change (lib/account/email-change.ts).
 */
export type EmailTokenPurpose = 'reset' | 'verify' | 'email-change';

/** The profile attribute naming the user's one live token of a purpose (by hash). */
const POINTER: Record<EmailTokenPurpose, string> = { reset: RESET_POINTER, verify: 'verifyTokenHash', 'email-change': 'emailChangeTokenHash' };

/**
 * Stores a new emailed token (by its hash only) and makes it the user's one live token of its purpose:
 * the profile points at it, so the token it replaces is dead at once (spending checks the pointer) and
 * its item is deleted. The item expires by TTL and is checked for expiry when spent.
 */
export async function saveEmailToken(
  table: Table,
  token: {
    hash: string;
    purpose: EmailTokenPurpose;
    userId: string;
    email: string;
    expiresAt: number;
    /** An email change: the address it replaces and the credentials version its password check saw. */
    change?: { previousEmail: string; credVersion: number };
  },
): Promise<void> {
  await guarded(table, (options) =>
    table.client.send(
      new PutCommand({
        TableName: table.name,
        Item: {
          ...itemKeys.emailToken(token.hash),
          type: 'emailToken',
          purpose: token.purpose,
          userId: token.userId,
          email: token.email,
          expiresAt: token.expiresAt,
          ...(token.change ? { previousEmail: token.change.previousEmail, credVersion: token.change.credVersion } : {}),
        },
      }),
      options,
    ),
  );
  const updated = await guarded(table, (options) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.user(token.userId),
        UpdateExpression: 'SET #pointer = :hash',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#pointer': POINTER[token.purpose] },
        ExpressionAttributeValues: { ':hash': token.hash },
        ReturnValues: 'UPDATED_OLD',
      }),
      options,
    ),
  );
  const replaced = updated.Attributes?.[POINTER[token.purpose]];
  if (typeof replaced === 'string' && replaced !== token.hash) {
    await guarded(table, (options) => table.client.send(new DeleteCommand({ TableName: table.name, Key: itemKeys.emailToken(replaced) }), options));
  }
}

/** A token as stored, if it exists and has not expired (of whatever purpose: the caller checks). */
async function liveToken(table: Table, hash: string, nowSeconds: number): Promise<StoredToken | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.emailToken(hash), ConsistentRead: true }), options),
  );
  const item = result.Item;
  if (!item || !(Number(item.expiresAt) > nowSeconds)) return undefined;
  return {
    hash,
    purpose: item.purpose as EmailTokenPurpose,
    userId: String(item.userId),
    email: String(item.email),
    previousEmail: String(item.previousEmail),
    credVersion: Number(item.credVersion ?? 0),
  };
}

interface StoredToken {
  hash: string;
  purpose: EmailTokenPurpose;
  userId: string;
  email: string;
  /** Email changes only. */
  previousEmail: string;
  credVersion: number;
}

/** The token's item is deleted, while it is still there, of its purpose and unexpired. */
function spendItem(table: Table, token: StoredToken, nowSeconds: number) {
  return {
    Delete: {
      TableName: table.name,
      Key: itemKeys.emailToken(token.hash),
      ConditionExpression: 'attribute_exists(pk) AND purpose = :purpose AND expiresAt > :now',
      ExpressionAttributeValues: { ':purpose': token.purpose, ':now': nowSeconds },
    },
  };
}

/**
 * Spends a token and applies what it proves, in one transaction: the token item is deleted under the
 * condition that it is still there and unexpired (so two requests racing with one token cannot both
 * win), and the profile is updated under the condition that this token is still the user's live one
 * (`profileUpdate`). Returns the user id, or undefined when the token is unknown, expired, used,
 * replaced, or of another purpose: nothing is changed then.
 */
async function spendToken(
  table: Table,
  hash: string,
  purpose: EmailTokenPurpose,
  nowSeconds: number,
  profileUpdate: (email: string) => { set: string; values: Record<string, unknown>; condition?: string },
  read?: StoredToken,
): Promise<string | undefined> {
  const token = read ?? (await liveToken(table, hash, nowSeconds));
  if (!token || token.purpose !== purpose) return undefined;
  const update = profileUpdate(token.email);
  const failed = await transact(table, [
    spendItem(table, token, nowSeconds),
    {
      Update: {
        TableName: table.name,
        Key: itemKeys.user(token.userId),
        UpdateExpression: `${update.set} REMOVE #pointer`,
        ConditionExpression: `#pointer = :hash${update.condition ? ` AND ${update.condition}` : ''}`,
        ExpressionAttributeNames: { '#pointer': POINTER[purpose] },
        ExpressionAttributeValues: { ':hash': hash, ...update.values },
      },
    },
  ]);
  // Spent, expired or replaced meanwhile, or the address changed: nothing was changed.
  return failed.length === 0 ? token.userId : undefined;
}

/**
 * Spends a reset token: the new password hash is stored and `credVersion` bumped in the same write (so
 * every session, and any sign-in racing the reset, ends: see users.ts changeCredentials), and the email
 * counts as verified (the token was read from it). Returns the user id, or undefined (nothing changed).
 */
export function spendResetToken(table: Table, hash: string, nowSeconds: number, passwordHash: string): Promise<string | undefined> {
  // Only while the profile still has the address the link was mailed to: a mailer that read the profile
  // before an email change and saved its token after it must not hand the old address a working link.
  return spendToken(table, hash, 'reset', nowSeconds, (email) => ({
    set: 'SET passwordHash = :password, emailVerified = :true ADD credVersion :one',
    values: { ':password': passwordHash, ':true': true, ':one': 1, ':email': email },
    condition: 'email = :email',
  }));
}

/**
 * Spends a verification token: the user's email is verified, if it is still the address the token was
 * sent to. Returns the user id, or undefined (nothing changed).
 */
export function spendVerifyToken(table: Table, hash: string, nowSeconds: number): Promise<string | undefined> {
  return spendToken(table, hash, 'verify', nowSeconds, verifyUpdate);
}

/** What spending a link of POST /api/auth/email/verify did. */
export type EmailLinkOutcome =
  | { kind: 'verified'; userId: string }
  | { kind: 'changed'; userId: string; from: string; to: string }
  /** An email change whose new address another account took since it was asked for: nothing changed. */
  | { kind: 'email-taken' }
  | { kind: 'invalid' };

/**
 * Spends a link mailed for POST /api/auth/email/verify: a sign-up's verification (spendVerifyToken) or
 * an email change's confirmation (spendEmailChangeToken), told apart by the stored token's purpose. A
 * reset token is refused here, as anything else unknown. Nothing changes unless the outcome says so.
 */
export async function spendEmailLink(table: Table, hash: string, nowSeconds: number): Promise<EmailLinkOutcome> {
  const token = await liveToken(table, hash, nowSeconds);
  if (token?.purpose === 'verify') {
    const userId = await spendToken(table, hash, 'verify', nowSeconds, verifyUpdate, token);
    return userId ? { kind: 'verified', userId } : { kind: 'invalid' };
  }
  if (token?.purpose === 'email-change') return spendEmailChangeToken(table, token, nowSeconds);
  return { kind: 'invalid' };
}

const verifyUpdate = (email: string) => ({ set: 'SET emailVerified = :true', values: { ':true': true, ':email': email }, condition: 'email = :email' });

/**
 * Confirms an email change, in one transaction: the token is spent; the profile takes the new address,
 * verified, only while this token is its live email-change link, its address is still the one the change
 * replaces and its credentials version is the one the change's password check saw (a password change,
 * reset, role or MFA change in between kills the link); the old address's claim is deleted (while it is
 * this user's) and the new one put (only while nobody holds it: a sign-up or another change racing for
 * the address, exactly one wins). The same write ends the reset link and any sign-up verification link,
 * both mailed to the old address. A claim that differs only in case is not moved. Retried when another
 * transaction touches the same items at once (then decided again by the conditions).
 */
async function spendEmailChangeToken(table: Table, token: StoredToken, nowSeconds: number): Promise<EmailLinkOutcome> {
  const from = normalizeIdentifier(token.previousEmail);
  const to = normalizeIdentifier(token.email);
  const versionCondition = credVersionIs(token.credVersion);
  const items: Record<string, unknown>[] = [
    spendItem(table, token, nowSeconds),
    {
      Update: {
        TableName: table.name,
        Key: itemKeys.user(token.userId),
        UpdateExpression: 'SET email = :to, emailVerified = :true REMOVE #pointer, #reset, #verify',
        ConditionExpression: `#pointer = :hash AND email = :from AND ${versionCondition}`,
        ExpressionAttributeNames: { '#pointer': POINTER['email-change'], '#reset': POINTER.reset, '#verify': POINTER.verify },
        ExpressionAttributeValues: { ':hash': token.hash, ':to': token.email, ':from': token.previousEmail, ':true': true, ':version': token.credVersion },
      },
    },
    ...(from === to
      ? []
      : [
          {
            Delete: {
              TableName: table.name,
              Key: itemKeys.emailClaim(from),
              ConditionExpression: 'userId = :id',
              ExpressionAttributeValues: { ':id': token.userId },
            },
          },
          {
            Put: {
              TableName: table.name,
              Item: claimItem(itemKeys.emailClaim(to), to, token.userId),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ]),
  ];
  for (let attempt = 0; ; attempt++) {
    let failed: number[];
    try {
      failed = await transact(table, items);
    } catch (error) {
      if (isTransactionConflict(error) && attempt < 4) continue;
      throw error;
    }
    if (failed.length === 0) return { kind: 'changed', userId: token.userId, from: token.previousEmail, to: token.email };
    // The link itself is dead (spent, expired, replaced, credentials changed): that is the answer.
    if (failed.includes(0) || failed.includes(1) || failed.includes(2)) return { kind: 'invalid' };
    return { kind: 'email-taken' };
  }
}
