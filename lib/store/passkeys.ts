import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './item-keys';
import { credentialsUnchanged } from './users';
import { conditionally, deleteItems, guarded, putNew, putNewItem, queryAll, spendLiveItem, type Table, transact, unexpectedRefusal } from './table';

/**
 * A user's passkey as stored: the public key and what the authenticator reported at registration, never
 * anything secret (the private key never leaves the authenticator). Two items per passkey, in one
 * transaction: this one in the user's partition (listed, renamed, counted), and a claim keyed by the
 * credential id alone that says whose it is (a credential id belongs to one user, as a username does).
 */
export interface Passkey {
  /** The credential id, base64url, as the browser reports it (`response.id`): the API's `{id}`. */
  id: string;
  userId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen; 0 for an authenticator that keeps none (most synced passkeys). */
  counter: number;
  transports: string[];
  /** Synced to a cloud account (a multi-device credential) and backed up. */
  backedUp: boolean;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** The key of a credential id: its SHA-256 (ids run to 1,023 bytes; a sort key may hold 1,024). */
export const credentialHash = (credentialId: string) => createHash('sha256').update(credentialId).digest('base64url');

const PASSKEY_FIELDS = ['id', 'userId', 'publicKey', 'counter', 'transports', 'backedUp', 'name', 'createdAt', 'lastUsedAt'] as const;

function passkeyOf(item: Record<string, unknown>): Passkey {
  return {
    id: String(item.id),
    userId: String(item.userId),
    publicKey: String(item.publicKey),
    counter: Number(item.counter ?? 0),
    transports: Array.isArray(item.transports) ? item.transports.map(String) : [],
    backedUp: item.backedUp === true,
    name: String(item.name),
    createdAt: String(item.createdAt),
    lastUsedAt: typeof item.lastUsedAt === 'string' ? item.lastUsedAt : null,
  };
}

/**
 * Stores a new passkey and its claim, only while the user's credentials are still `credVersion` (the
 * version whose password the registration's first step checked): a password change, reset or MFA
 * switch in between refuses it, as it ends the session that asked. 'taken' when the credential id is
 * already someone's (or this user's), 'changed' when the credentials changed or the user is gone.
 */
export async function addPasskey(table: Table, passkey: Passkey, credVersion: number): Promise<'done' | 'taken' | 'changed'> {
  const hash = credentialHash(passkey.id);
  const failed = await transact(table, [
    putNew(table, { ...itemKeys.passkey(passkey.userId, hash), type: 'passkey', ...passkey }),
    putNew(table, { ...itemKeys.passkeyClaim(hash), type: 'passkeyClaim', userId: passkey.userId }),
    credentialsUnchanged(table, passkey.userId, credVersion),
  ]);
  if (failed.length === 0) return 'done';
  if (failed.includes(2)) return 'changed';
  if (failed.includes(0) || failed.includes(1)) return 'taken';
  throw unexpectedRefusal(failed);
}

/** A user's passkeys, oldest first. */
export async function listPasskeys(table: Table, userId: string): Promise<Passkey[]> {
  const items = await queryAll(table, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': itemKeys.user(userId).pk, ':prefix': 'PASSKEY#' },
    ConsistentRead: true,
  });
  return items.map(passkeyOf).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The owner of a credential id, from its claim; undefined for an id nobody registered. */
export async function passkeyOwner(table: Table, credentialId: string): Promise<string | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.passkeyClaim(credentialHash(credentialId)), ConsistentRead: true }), options),
  );
  return typeof result.Item?.userId === 'string' ? result.Item.userId : undefined;
}

export async function getPasskey(table: Table, userId: string, credentialId: string): Promise<Passkey | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(
      new GetCommand({
        TableName: table.name,
        Key: itemKeys.passkey(userId, credentialHash(credentialId)),
        ConsistentRead: true,
        ProjectionExpression: PASSKEY_FIELDS.map((_, index) => `#f${index}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(PASSKEY_FIELDS.map((field, index) => [`#f${index}`, field])),
      }),
      options,
    ),
  );
  return result.Item ? passkeyOf(result.Item) : undefined;
}

/**
 * Records a sign-in with a passkey: its new counter and when. Only while the stored counter is still
 * the one the sign-in checked against: of two sign-ins with one cloned credential at once, one wins.
 * False when it lost, or the passkey is gone.
 */
export function recordPasskeyUse(table: Table, passkey: Passkey, newCounter: number, at: string): Promise<boolean> {
  return conditionally(table, (options) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.passkey(passkey.userId, credentialHash(passkey.id)),
        UpdateExpression: 'SET #counter = :next, lastUsedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND #counter = :seen',
        ExpressionAttributeNames: { '#counter': 'counter' },
        ExpressionAttributeValues: { ':next': newCounter, ':seen': passkey.counter, ':at': at },
      }),
      options,
    ),
  );
}

/** Renames a passkey; false when the user has no passkey of that id. */
export function renamePasskey(table: Table, userId: string, credentialId: string, name: string): Promise<boolean> {
  return conditionally(table, (options) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: itemKeys.passkey(userId, credentialHash(credentialId)),
        UpdateExpression: 'SET #name = :name',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': name },
      }),
      options,
    ),
  );
}

/**
 * Deletes a passkey and its claim in one transaction, with `alongside` (the sign-in methods' version bump,
 * lib/store/identities.ts): 'gone' when the user has no passkey of that id, 'raced' when only `alongside` failed.
 */
export async function removePasskey(
  table: Table,
  userId: string,
  credentialId: string,
  alongside: Record<string, unknown>[] = [],
): Promise<'done' | 'gone' | 'raced'> {
  const hash = credentialHash(credentialId);
  const owned = { ConditionExpression: 'userId = :id', ExpressionAttributeValues: { ':id': userId } };
  const failed = await transact(table, [
    { Delete: { TableName: table.name, Key: itemKeys.passkey(userId, hash), ...owned } },
    { Delete: { TableName: table.name, Key: itemKeys.passkeyClaim(hash), ...owned } },
    ...alongside,
  ]);
  if (failed.length === 0) return 'done';
  return failed.includes(0) || failed.includes(1) ? 'gone' : 'raced';
}

/** A deleted user's passkeys and claims (the profile is gone first: no sign-in can use them meanwhile). */
export async function deleteAllPasskeys(table: Table, userId: string): Promise<void> {
  const passkeys = await listPasskeys(table, userId);
  // Claims first: a claim left without its passkey would keep the credential id taken.
  await deleteItems(
    table,
    passkeys.flatMap((passkey) => [itemKeys.passkeyClaim(credentialHash(passkey.id)), itemKeys.passkey(userId, credentialHash(passkey.id))]),
  );
}

/** The two WebAuthn ceremonies: a challenge of one can never finish the other. */
export type Ceremony = 'registration' | 'authentication';

/** A challenge handed out: for which ceremony, for whom (registration) under which credentials, until when. */
export interface WebauthnChallenge {
  challenge: string;
  ceremony: Ceremony;
  /** Registration only: the signed-in user, and the credentials version their password was checked under. */
  userId?: string;
  credVersion?: number;
  /** Epoch seconds; also the table's TTL attribute. */
  expiresAt: number;
}

export function saveChallenge(table: Table, challenge: WebauthnChallenge): Promise<void> {
  return putNewItem(table, { ...itemKeys.webauthnChallenge(challenge.challenge), type: 'webauthnChallenge', ...challenge });
}

/**
 * Uses a challenge up, in one conditional delete that answers what it deleted: only a live challenge of
 * `ceremony` (and, for a registration, of `userId`). Of two uses at once exactly one gets it; a used,
 * expired, foreign or other-ceremony challenge answers undefined, and a refused one is not spent.
 */
export async function spendChallenge(
  table: Table,
  challenge: string,
  expect: { ceremony: Ceremony; userId?: string; nowSeconds: number },
): Promise<WebauthnChallenge | undefined> {
  const item = await spendLiveItem(table, itemKeys.webauthnChallenge(challenge), expect.nowSeconds, {
    condition: `ceremony = :ceremony${expect.userId === undefined ? '' : ' AND userId = :user'}`,
    values: { ':ceremony': expect.ceremony, ...(expect.userId === undefined ? {} : { ':user': expect.userId }) },
  });
  if (!item) return undefined;
  return {
    challenge,
    ceremony: item.ceremony as Ceremony,
    ...(typeof item.userId === 'string' ? { userId: item.userId } : {}),
    ...(item.credVersion === undefined ? {} : { credVersion: Number(item.credVersion) }),
    expiresAt: Number(item.expiresAt),
  };
}
