import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { guarded, type Table, transact } from './table';
import { RESET_POINTER } from './users';

/** What an emailed token is for. Each purpose has one live token per user at most. */
export type EmailTokenPurpose = 'reset' | 'verify';

/** The profile attribute naming the user's one live token of a purpose (by hash). */
const POINTER: Record<EmailTokenPurpose, string> = { reset: RESET_POINTER, verify: 'verifyTokenHash' };

/**
 * Stores a new emailed token (by its hash only) and makes it the user's one live token of its purpose:
 * the profile points at it, so the token it replaces is dead at once (spending checks the pointer) and
 * its item is deleted. The item expires by TTL and is checked for expiry when spent.
 */
export async function saveEmailToken(
  table: Table,
  token: { hash: string; purpose: EmailTokenPurpose; userId: string; email: string; expiresAt: number },
): Promise<void> {
  await guarded(table, (options) =>
    table.client.send(
      new PutCommand({
        TableName: table.name,
        Item: {
          ...keys.emailToken(token.hash),
          type: 'emailToken',
          purpose: token.purpose,
          userId: token.userId,
          email: token.email,
          expiresAt: token.expiresAt,
        },
      }),
      options,
    ),
  );
  const updated = await guarded(table, (options) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.user(token.userId),
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
    await guarded(table, (options) => table.client.send(new DeleteCommand({ TableName: table.name, Key: keys.emailToken(replaced) }), options));
  }
}

/** A token as stored, if it exists, is of this purpose and has not expired. */
async function liveToken(table: Table, hash: string, purpose: EmailTokenPurpose, nowSeconds: number) {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: keys.emailToken(hash), ConsistentRead: true }), options),
  );
  const item = result.Item;
  if (!item || item.purpose !== purpose || !(Number(item.expiresAt) > nowSeconds)) return undefined;
  return { userId: String(item.userId), email: String(item.email) };
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
): Promise<string | undefined> {
  const token = await liveToken(table, hash, purpose, nowSeconds);
  if (!token) return undefined;
  const update = profileUpdate(token.email);
  const failed = await transact(table, [
    {
      Delete: {
        TableName: table.name,
        Key: keys.emailToken(hash),
        ConditionExpression: 'attribute_exists(pk) AND purpose = :purpose AND expiresAt > :now',
        ExpressionAttributeValues: { ':purpose': purpose, ':now': nowSeconds },
      },
    },
    {
      Update: {
        TableName: table.name,
        Key: keys.user(token.userId),
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
  return spendToken(table, hash, 'reset', nowSeconds, () => ({
    set: 'SET passwordHash = :password, emailVerified = :true ADD credVersion :one',
    values: { ':password': passwordHash, ':true': true, ':one': 1 },
  }));
}

/**
 * Spends a verification token: the user's email is verified, if it is still the address the token was
 * sent to. Returns the user id, or undefined (nothing changed).
 */
export function spendVerifyToken(table: Table, hash: string, nowSeconds: number): Promise<string | undefined> {
  return spendToken(table, hash, 'verify', nowSeconds, (email) => ({
    set: 'SET emailVerified = :true',
    values: { ':true': true, ':email': email },
    condition: 'email = :email',
  }));
}
