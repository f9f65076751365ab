import { createHash } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { decryptSecret, encryptSecret } from '../../lib/access/secrets';
import { SignJWT } from 'jose';
import { isMfaTokenShaped, issueMfaToken, verifyAccessToken, verifyMfaToken } from '../../lib/access/tokens';
import { hashRecoveryCode, newRecoveryCodes, newTotpSecret, totpStep } from '../../lib/account/totp';
import { testKeySet } from '../support/keys';

// RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890" and its 8-digit codes at fixed times.
// The service uses the same algorithm and step with 6 digits (the last 6 of each value, RFC 4226 §5.3).
const RFC_SEED = Secret.fromUTF8('12345678901234567890').base32;
const RFC_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238, fixed clock)', () => {
  it.each(RFC_VECTORS)('at %i s the SHA-1 code is %s', (seconds, expected) => {
    const rfc = new TOTP({ algorithm: 'SHA1', digits: 8, period: 30, secret: Secret.fromBase32(RFC_SEED) });
    expect(rfc.generate({ timestamp: seconds * 1000 })).toBe(expected);
    // Our 6-digit check accepts the same code's last 6 digits at that time, in that step.
    expect(totpStep(RFC_SEED, expected.slice(2), seconds * 1000)).toBe(Math.floor(seconds / 30));
  });

  it('accepts one step of skew either way, and nothing further', () => {
    const at = 1_111_111_111_000;
    const step = Math.floor(at / 30_000);
    const code = (offset: number) =>
      new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(RFC_SEED) }).generate({ timestamp: at + offset * 30_000 });
    expect(totpStep(RFC_SEED, code(-1), at)).toBe(step - 1);
    expect(totpStep(RFC_SEED, code(0), at)).toBe(step);
    expect(totpStep(RFC_SEED, code(1), at)).toBe(step + 1);
    expect(totpStep(RFC_SEED, code(2), at)).toBeUndefined();
    expect(totpStep(RFC_SEED, code(-2), at)).toBeUndefined();
    expect(totpStep(RFC_SEED, 'abcdef', at)).toBeUndefined();
    expect(totpStep(RFC_SEED, '1234567', at)).toBeUndefined();
    // Six characters that are digits, but not ASCII ones: refused as malformed, not thrown on.
    expect(totpStep(RFC_SEED, '\u0661\u0662\u0663\u0664\u0665\u0666', at)).toBeUndefined();
    expect(totpStep(RFC_SEED, `${code(0).slice(0, 5)}\u0660`, at)).toBeUndefined();
  });

  it('makes 160-bit secrets and an otpauth URL with issuer and account', () => {
    const { secret, otpauthUrl } = newTotpSecret('Acme Auth', 'alice');
    expect(Secret.fromBase32(secret).bytes).toHaveLength(20);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/Acme%20Auth:alice\?/);
    expect(new URL(otpauthUrl).searchParams.get('secret')).toBe(secret);
    expect(new URL(otpauthUrl).searchParams.get('digits')).toBe('6');
    expect(newTotpSecret('Acme Auth', 'alice').secret).not.toBe(secret);
  });
});

describe('recovery codes', () => {
  it('are ten distinct codes of 60 bits, hashed case- and dash-insensitively', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    const [code] = codes as [string];
    expect(hashRecoveryCode(code.toLowerCase().replace(/-/g, ' '))).toBe(hashRecoveryCode(code));
    expect(hashRecoveryCode(code)).not.toContain(code.replace(/-/g, ''));
  });

  it('are stored as the SHA-256 of their upper-case symbols (the form hashes already stored were made in)', () => {
    const expected = createHash('sha256').update('ABCDEFGHJKLM', 'utf8').digest('hex');
    expect(hashRecoveryCode('ABCD-EFGH-JKLM')).toBe(expected);
    expect(hashRecoveryCode('abcd efgh-jklm')).toBe(expected);
  });
});

describe('sealed secrets', () => {
  const key = new Uint8Array(32).fill(7);

  it('open only with the same key and the same owner, and never hold the plaintext', () => {
    const sealed = encryptSecret('JBSWY3DPEHPK3PXP', key, 'user-1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(decryptSecret(sealed, key, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => decryptSecret(sealed, key, 'user-2')).toThrow();
    expect(() => decryptSecret(sealed, new Uint8Array(32).fill(8), 'user-1')).toThrow();
    const [version, iv, body] = sealed.split('.') as [string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => decryptSecret(`${version}.${iv}.${flipped.toString('base64url')}`, key, 'user-1')).toThrow();
  });
});

describe('mfaToken', () => {
  const settings = { issuer: 'i', audience: 'a' };

  it('verifies as an mfaToken and is refused as an access token', async () => {
    const { keys } = await testKeySet();
    const now = new Date();
    const token = await issueMfaToken(keys, { userId: 'u', challengeId: 'c' }, { ...settings, now, ttlSeconds: 300 });
    expect(await verifyMfaToken(keys, token, { ...settings, now })).toEqual({ userId: 'u', challengeId: 'c' });
    await expect(verifyAccessToken(keys, token, { ...settings, now })).rejects.toThrow('Unauthorized!');
    expect(await verifyMfaToken(keys, token, { ...settings, now: new Date(now.getTime() + 301_000) })).toBeUndefined();
  });

  it('is refused without an exp, even validly signed and of its type', async () => {
    const { keys } = await testKeySet();
    const now = new Date();
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'mfa+jwt' })
      .setSubject('u')
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(now)
      .setJti('c')
      .sign(keys.signer.key);
    expect(await verifyMfaToken(keys, noExp, { ...settings, now })).toBeUndefined();
  });

  it('is shaped only as a compact JWS of its type, within the length limit', async () => {
    const { keys } = await testKeySet();
    const token = await issueMfaToken(keys, { userId: 'u', challengeId: 'c' }, { ...settings, now: new Date(), ttlSeconds: 300 });
    const [header] = token.split('.') as [string];
    expect(isMfaTokenShaped(token)).toBe(true);
    // The header alone decides the type: each of these has an mfa+jwt header and is still not shaped.
    expect(isMfaTokenShaped(`${token}!`)).toBe(false);
    expect(isMfaTokenShaped(` ${token}`)).toBe(false);
    expect(isMfaTokenShaped(`${header}.pay load.sig`)).toBe(false);
    expect(isMfaTokenShaped(`${header}.${'p'.repeat(4096 - header.length - 5)}.sig`)).toBe(true);
    expect(isMfaTokenShaped(`${header}.${'p'.repeat(4096)}.sig`)).toBe(false);
  });
});
