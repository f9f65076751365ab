import { base64url } from 'jose';
import { type CredentialSource, verifyAccessToken } from '../../lib/access/tokens';
import { sessionTokenFor } from '../../lib/account/session-tokens';
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
