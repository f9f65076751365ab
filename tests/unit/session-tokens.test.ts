import { base64url } from 'jose';
import { type CredentialSource, hashOpaqueToken, verifyAccessToken } from '../../lib/access/tokens';
import { newRefreshRecord, parseRefreshToken, sessionTokenFor } from '../../lib/account/session-tokens';
import type { SessionDeps } from '../../lib/account/types';
import { AccessTokenError } from '../../lib/shared/errors';
import type { Table } from '../../lib/store/table';
import { testAccountConfig } from '../support/account-config';
import { testKeySet } from '../support/keys';

// The one minting function for a session's tokens: what differs between the access token and the
// cookie's token is their type and lifetime, both from configuration; the claims are the same.
const now = new Date('2026-01-01T00:00:00Z');
const config = { ...testAccountConfig, accessTokenTtlSeconds: 600, refreshTokenTtlSeconds: 7200 };
const session = {
  userId: 'user-1',
  roles: ['user' as const, 'moderator' as const],
  sessionId: 'session-1',
  amr: ['pwd', 'otp', 'mfa'] as ['pwd', 'otp', 'mfa'],
};
let deps: SessionDeps;
let keys: Awaited<ReturnType<typeof testKeySet>>['keys'];
beforeAll(async () => {
  keys = (await testKeySet()).keys;
  // Minting touches no table: none is given.
  deps = { table: undefined as unknown as Table, keys, now: () => now, client: { userAgent: undefined, ip: undefined }, config };
});

const decoded = (token: string) => token.split('.').map((part, i) => (i < 2 ? JSON.parse(new TextDecoder().decode(base64url.decode(part))) : part));
const settings = (via: CredentialSource) => ({ issuer: config.issuer, audience: config.audience, now, via });

describe('sessionTokenFor', () => {
  it.each([
    ['header', 'at+jwt', 600],
    ['cookie', 'session+jwt', 7200],
  ] as const)('%s: type %s, living the configured %i s, with the session claims and how it was authenticated', async (source, typ, ttl) => {
    const token = await sessionTokenFor(deps, session, source);
    const [header, payload] = decoded(token);
    expect(header.typ).toBe(typ);
    expect(payload).toMatchObject({
      sub: 'user-1',
      roles: ['user', 'moderator'],
      sid: 'session-1',
      amr: ['pwd', 'otp', 'mfa'],
      iss: config.issuer,
      aud: config.audience,
    });
    expect(payload.exp - payload.iat).toBe(ttl);
    expect(payload.iat).toBe(now.getTime() / 1000);
    await expect(verifyAccessToken(keys, token, settings(source))).resolves.toMatchObject({ userId: 'user-1', sessionId: 'session-1' });
  });

  it('a token minted for one source is refused from the other', async () => {
    await expect(verifyAccessToken(keys, await sessionTokenFor(deps, session, 'header'), settings('cookie'))).rejects.toThrow(AccessTokenError);
    await expect(verifyAccessToken(keys, await sessionTokenFor(deps, session, 'cookie'), settings('header'))).rejects.toThrow(AccessTokenError);
  });
});

describe('parseRefreshToken', () => {
  // Ids as issued (UUIDs): the parser takes only what newRefreshRecord makes, anything else is no token.
  const userId = '0b7e2a3c-1d4f-4a5b-8c6d-7e8f9a0b1c2d';
  const sessionId = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';

  it('reads back what newRefreshRecord mints, with a multi-digit generation', () => {
    const { token, record } = newRefreshRecord(deps, userId, sessionId, 1234);
    expect(parseRefreshToken(token)).toEqual({ userId, sessionId, generation: 1234, tokenHash: record.tokenHash });
    expect(parseRefreshToken(`${userId}.${sessionId}.0.s`)).toEqual({
      userId,
      sessionId,
      generation: 0,
      tokenHash: hashOpaqueToken(`${userId}.${sessionId}.0.s`),
    });
  });

  // Each part is checked on its own: one bad part, the rest valid, is no token.
  it.each([
    ['five parts', `${userId}.${sessionId}.0.secret.extra`],
    ['a user id not as issued', `user-1.${sessionId}.0.secret`],
    ['a session id not as issued', `${userId}.session-1.0.secret`],
    ['a generation with a leading zero', `${userId}.${sessionId}.01.secret`],
    ['a generation of ten digits', `${userId}.${sessionId}.1234567890.secret`],
    ['a generation with a trailing letter', `${userId}.${sessionId}.1x.secret`],
    ['a generation with a leading letter', `${userId}.${sessionId}.x1.secret`],
    ['an empty secret', `${userId}.${sessionId}.0.`],
  ])('refuses %s', (_what, token) => {
    expect(parseRefreshToken(token)).toBeUndefined();
  });
});
