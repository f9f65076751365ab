import { importSigningKeys, rotateKeySet } from '../../lib/keys';
import { issueAccessToken, verifyAccessToken } from '../../lib/tokens';
import { testKeySet } from '../support/keys';

const settings = { issuer: 'i', audience: 'a' };

describe('key rotation', () => {
  it('signs with the new key while tokens of the previous key still verify, and the JWKS serves both', async () => {
    const before = await testKeySet();
    const oldToken = await issueAccessToken(before.keys, { userId: 'u', roles: ['user'], sessionId: 's' }, { ...settings, now: new Date(), ttlSeconds: 60 });

    const after = await importSigningKeys(await rotateKeySet(before.json, 'next-key'));
    expect(after.signer.kid).toBe('next-key');
    expect(after.jwks.keys.map((key) => key.kid)).toEqual(['next-key', 'test-key']);
    await expect(verifyAccessToken(after, oldToken, { ...settings, now: new Date() })).resolves.toMatchObject({ userId: 'u' });

    const newToken = await issueAccessToken(after, { userId: 'u', roles: ['user'], sessionId: 's' }, { ...settings, now: new Date(), ttlSeconds: 60 });
    expect(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid: 'next-key' });
  });

  it('drops keys older than the previous one', async () => {
    const first = await testKeySet();
    const second = await rotateKeySet(first.json, 'second');
    const third = await importSigningKeys(await rotateKeySet(second, 'third'));
    expect(third.jwks.keys.map((key) => key.kid)).toEqual(['third', 'second']);
  });

  it('never puts private members in the JWKS', async () => {
    const { keys } = await testKeySet();
    for (const key of keys.jwks.keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
  });
});
