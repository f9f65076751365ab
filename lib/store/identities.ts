import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { NO_PASSWORD } from '../shared/passwords';
import { itemKeys } from './item-keys';
import { credentialsUnchanged } from './users';
import { deleteItems, guarded, putNew, putNewItem, queryAll, spendLiveItem, type Table, transact, unexpectedRefusal } from './table';

/**
 * A user's identity at an OpenID provider, as stored. Two items, written in one transaction, as for
 * passkeys: this one in the user's partition (listed, unlinked; one per provider), and a claim keyed by
 * provider and subject that says whose it is (an identity belongs to one user only).
 */
export interface Identity {
  userId: string;
  /** The configured provider id (OIDC_PROVIDERS). */
  provider: string;
  /** The provider's `sub`: stable, unique within the provider. */
  subject: string;
  /** The email the provider reported when it was linked (shown to the user; never used to sign in). */
  email: string | null;
  linkedAt: string;
}

/**
 * SHA-256, base64url: the key of what is looked up by a secret or long value (a state, a ticket, a code:
 * only their hashes are stored; a subject: up to 255 characters of the provider's choosing).
 */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The two items of an identity, as puts that fail when either exists already. */
export function identityItems(table: Table, identity: Identity) {
  return [
    putNew(table, { ...itemKeys.identity(identity.userId, identity.provider), type: 'identity', ...identity }),
    putNew(table, { ...itemKeys.identityClaim(identity.provider, sha256(identity.subject)), type: 'identityClaim', userId: identity.userId }),
  ];
}

/** Who an identity belongs to, from its claim; undefined for one nobody linked. */
export async function identityOwner(table: Table, provider: string, subject: string): Promise<string | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(new GetCommand({ TableName: table.name, Key: itemKeys.identityClaim(provider, sha256(subject)), ConsistentRead: true }), options),
  );
  return typeof result.Item?.userId === 'string' ? result.Item.userId : undefined;
}

/**
 * Links an identity to an existing user, only while the user's credentials are still `credVersion` (the
 * version the linking session was checked under): a password change, reset or MFA switch in between
 * refuses it. 'taken' when the identity is someone's already, 'provider-linked' when the user has another
 * identity of this provider, 'changed' when the credentials changed or the user is gone.
 */
export async function linkIdentity(table: Table, identity: Identity, credVersion: number): Promise<'done' | 'taken' | 'provider-linked' | 'changed'> {
  const failed = await transact(table, [...identityItems(table, identity), credentialsUnchanged(table, identity.userId, credVersion)]);
  if (failed.length === 0) return 'done';
  if (failed.includes(2)) return 'changed';
  if (failed.includes(1)) return 'taken';
  if (failed.includes(0)) return 'provider-linked';
  throw unexpectedRefusal(failed);
}

function identityOf(item: Record<string, unknown>): Identity {
  return {
    userId: String(item.userId),
    provider: String(item.provider),
    subject: String(item.subject),
    email: typeof item.email === 'string' ? item.email : null,
    linkedAt: String(item.linkedAt),
  };
}

/** A user's identities, oldest first. */
export async function listIdentities(table: Table, userId: string): Promise<Identity[]> {
  const items = await queryAll(table, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': itemKeys.user(userId).pk, ':prefix': 'IDENTITY#' },
    ConsistentRead: true,
  });
  return items.map(identityOf).sort((a, b) => a.linkedAt.localeCompare(b.linkedAt));
}

/**
 * Deletes an identity and its claim in one transaction, with `alongside` (the sign-in methods' version
 * bump, lib/federation/identities.ts); false when the user has none of that provider or `alongside` failed.
 */
export async function unlinkIdentity(
  table: Table,
  identity: Pick<Identity, 'userId' | 'provider' | 'subject'>,
  alongside: Record<string, unknown>[] = [],
): Promise<boolean> {
  const owned = { ConditionExpression: 'userId = :id', ExpressionAttributeValues: { ':id': identity.userId } };
  const failed = await transact(table, [
    { Delete: { TableName: table.name, Key: itemKeys.identity(identity.userId, identity.provider), ...owned } },
    { Delete: { TableName: table.name, Key: itemKeys.identityClaim(identity.provider, sha256(identity.subject)), ...owned } },
    ...alongside,
  ]);
  return failed.length === 0;
}

/**
 * The profile's sign-in methods version, bumped by every removal of a way to sign in (an identity, a
 * passkey) in the removal's own transaction, on the condition that it is still `seen`: of two removals
 * that each counted the other's method as left, one fails and counts again. Users without one: 0.
 */
export function signInMethodsUnchanged(table: Table, userId: string, seen: number) {
  return {
    Update: {
      TableName: table.name,
      Key: itemKeys.user(userId),
      UpdateExpression: 'SET methodsVersion = :next',
      ConditionExpression: seen === 0 ? 'attribute_exists(pk) AND (attribute_not_exists(methodsVersion) OR methodsVersion = :seen)' : 'methodsVersion = :seen',
      ExpressionAttributeValues: { ':seen': seen, ':next': seen + 1 },
    },
  };
}

/**
 * What of the profile counts among the sign-in methods: the version signInMethodsUnchanged compares, and
 * whether the user has a password (lib/store/users.ts toUser keeps neither apart). Undefined: no such user.
 */
export async function signInMethodsProfile(table: Table, userId: string): Promise<{ version: number; password: boolean } | undefined> {
  const result = await guarded(table, (options) =>
    table.client.send(
      new GetCommand({ TableName: table.name, Key: itemKeys.user(userId), ConsistentRead: true, ProjectionExpression: 'pk, methodsVersion, passwordHash' }),
      options,
    ),
  );
  if (!result.Item) return undefined;
  return {
    version: Number(result.Item.methodsVersion ?? 0),
    password: typeof result.Item.passwordHash === 'string' && result.Item.passwordHash !== NO_PASSWORD,
  };
}

/** A deleted user's identities and claims (the profile is gone first: no sign-in can use them meanwhile). */
export async function deleteAllIdentities(table: Table, userId: string): Promise<void> {
  const identities = await listIdentities(table, userId);
  // Claims first: a claim left without its identity would keep the identity taken.
  await deleteItems(
    table,
    identities.flatMap((identity) => [itemKeys.identityClaim(identity.provider, sha256(identity.subject)), itemKeys.identity(userId, identity.provider)]),
  );
}

/** What a social sign-in is for: signing in (or up), or linking the identity to a signed-in user. */
export type OAuthPurpose = { kind: 'signin' } | { kind: 'link'; userId: string; sessionId: string; credVersion: number };

/** A social sign-in under way, between the redirect to the provider and its callback. */
export interface OAuthState {
  provider: string;
  /** PKCE: the verifier whose S256 challenge went to the provider. */
  codeVerifier: string;
  nonce: string;
  /** The front-end page to return to (checked against OAUTH_REDIRECT_URLS when it was asked for). */
  redirectUri: string;
  /** SHA-256 of the browser binding cookie's value: only the browser that started may finish. */
  bindingHash: string;
  purpose: OAuthPurpose;
  /** Epoch seconds; also the table's TTL attribute. */
  expiresAt: number;
}

export function saveOAuthState(table: Table, state: string, record: OAuthState): Promise<void> {
  return putNewItem(table, { ...itemKeys.oauthState(sha256(state)), type: 'oauthState', ...record });
}

/**
 * Uses a state up in one conditional delete that answers what it deleted: only a live one, of
 * `provider`. Of two callbacks with one state exactly one gets it; a used, expired or other provider's
 * state answers undefined.
 */
export async function spendOAuthState(table: Table, state: string, provider: string, nowSeconds: number): Promise<OAuthState | undefined> {
  const item = await spendLiveItem(table, itemKeys.oauthState(sha256(state)), nowSeconds, {
    condition: 'provider = :provider',
    values: { ':provider': provider },
  });
  if (!item) return undefined;
  const purpose = item.purpose as OAuthPurpose;
  return {
    provider: String(item.provider),
    codeVerifier: String(item.codeVerifier),
    nonce: String(item.nonce),
    redirectUri: String(item.redirectUri),
    bindingHash: String(item.bindingHash),
    purpose:
      purpose.kind === 'link'
        ? { kind: 'link', userId: String(purpose.userId), sessionId: String(purpose.sessionId), credVersion: Number(purpose.credVersion) }
        : { kind: 'signin' },
    expiresAt: Number(item.expiresAt),
  };
}

/** A link asked for by a signed-in user (its password checked), until its browser starts it at the provider. */
export interface LinkTicket {
  userId: string;
  /** The session that asked: the link dies with it. */
  sessionId: string;
  credVersion: number;
  provider: string;
  redirectUri: string;
  expiresAt: number;
}

export function saveLinkTicket(table: Table, ticket: string, record: LinkTicket): Promise<void> {
  return putNewItem(table, { ...itemKeys.oauthLink(sha256(ticket)), type: 'oauthLink', ...record });
}

/** Uses a link ticket up (one conditional delete), only for `provider`: a used or expired one answers undefined. */
export async function spendLinkTicket(table: Table, ticket: string, provider: string, nowSeconds: number): Promise<LinkTicket | undefined> {
  const item = await spendLiveItem(table, itemKeys.oauthLink(sha256(ticket)), nowSeconds, {
    condition: 'provider = :provider',
    values: { ':provider': provider },
  });
  if (!item) return undefined;
  return {
    userId: String(item.userId),
    sessionId: String(item.sessionId),
    credVersion: Number(item.credVersion),
    provider: String(item.provider),
    redirectUri: String(item.redirectUri),
    expiresAt: Number(item.expiresAt),
  };
}

/** The sign-in a one-time code stands for: whose, under which credentials, with which provider. */
export interface SignInCode {
  userId: string;
  credVersion: number;
  provider: string;
  expiresAt: number;
}

export function saveSignInCode(table: Table, code: string, record: SignInCode): Promise<void> {
  return putNewItem(table, { ...itemKeys.oauthCode(sha256(code)), type: 'oauthCode', ...record });
}

/** Uses a one-time code up (one conditional delete): a used or expired code answers undefined. */
export async function spendSignInCode(table: Table, code: string, nowSeconds: number): Promise<SignInCode | undefined> {
  const item = await spendLiveItem(table, itemKeys.oauthCode(sha256(code)), nowSeconds);
  if (!item) return undefined;
  return { userId: String(item.userId), credVersion: Number(item.credVersion), provider: String(item.provider), expiresAt: Number(item.expiresAt) };
}
