import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { createHash, createHmac, webcrypto } from 'node:crypto';
import { base64url, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { importSigningKeys, type SigningKeys } from '../../lib/access/signing-keys';
import { api, signIn, signUp } from '../support/api';
import { newUser } from '../support/data';

// Token forgery (RFC 8725) against the authorizer over HTTP. Every forged token carries the claims of a
// real, live session, so the only thing wrong with it is the thing under test.
let keys: SigningKeys;
let real: { accessToken: string; refreshToken: string; claims: Record<string, unknown> };
let adminToken: string;
let keyServer: Server;
let keyServerHits = 0;
let keyServerUrl = '';

const enc = (value: unknown) => base64url.encode(JSON.stringify(value));
const header = (extra: Record<string, unknown> = {}) => ({ alg: 'RS256', kid: 'e2e-key', typ: 'at+jwt', ...extra });
const settings = () => ({ iss: process.env.E2E_ISSUER!, aud: process.env.E2E_AUDIENCE! });

async function signOurs(claims: Record<string, unknown>, protectedHeader: Record<string, unknown> = header()): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(protectedHeader as { alg: string }).sign(keys.signer.key);
}

function hmac(alg: 'HS256' | 'HS384' | 'HS512', secret: string | Buffer, claims: Record<string, unknown>): string {
  const input = `${enc({ alg, kid: 'e2e-key', typ: 'at+jwt' })}.${enc(claims)}`;
  const digest = createHmac(`sha${alg.slice(2)}`, secret)
    .update(input)
    .digest();
  return `${input}.${base64url.encode(digest)}`;
}

async function refused(token: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await api('GET', '/api/test/user', { headers: { 'x-access-token': token, ...headers } });
  return { status: response.status, body: response.json };
}

const unauthorized = { status: 401, body: { message: 'Unauthorized!' } };

beforeAll(async () => {
  keys = await importSigningKeys(process.env.E2E_KEY_SET!);
  const user = newUser();
  await signUp(user);
  const login = (await signIn(user.username, user.password)).json;
  const accessToken = login.accessToken as string;
  real = {
    accessToken,
    refreshToken: login.refreshToken as string,
    claims: JSON.parse(new TextDecoder().decode(base64url.decode(accessToken.split('.')[1]!))) as Record<string, unknown>,
  };
  const { username, password } = JSON.parse(process.env.E2E_ADMIN!) as { username: string; password: string };
  adminToken = (await signIn(username, password)).json.accessToken as string;
  // A key server on loopback: if the service ever fetched a jku / x5u, it would show up here.
  keyServer = createServer((_, response) => {
    keyServerHits++;
    response.end('{"keys":[]}');
  });
  keyServer.listen(0, '127.0.0.1');
  await once(keyServer, 'listening');
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as { port: number }).port}/jwks.json`;
});

afterAll(() => keyServer.close());

describe('the genuine token', () => {
  it('is accepted (so every refusal below is about the forgery alone)', async () => {
    expect((await refused(real.accessToken)).status).toBe(200);
    expect((await refused(await signOurs(real.claims))).status).toBe(200);
  });
});

describe('forged tokens are refused with 401 Unauthorized!', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s', async (alg) => {
    expect(await refused(`${enc({ alg, typ: 'at+jwt', kid: 'e2e-key' })}.${enc(real.claims)}.`)).toEqual(unauthorized);
  });

  it.each(['HS256', 'HS384', 'HS512'] as const)('%s signed with our public key as PEM and as JWK JSON (algorithm confusion)', async (alg) => {
    const publicJwk = keys.jwks.keys[0]!;
    const pem = await exportSPKI((await importJWK(publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    expect(await refused(hmac(alg, pem, real.claims))).toEqual(unauthorized);
    expect(await refused(hmac(alg, JSON.stringify(publicJwk), real.claims))).toEqual(unauthorized);
  });

  it('tampered payload, stripped signature, truncated signature', async () => {
    const [h, p, s] = real.accessToken.split('.') as [string, string, string];
    expect(await refused(`${h}.${enc({ ...real.claims, roles: ['user', 'admin'] })}.${s}`)).toEqual(unauthorized);
    expect(await refused(`${h}.${p}.`)).toEqual(unauthorized);
    expect(await refused(`${h}.${p}`)).toEqual(unauthorized);
    expect(await refused(`${h}.${p}.${s.slice(0, s.length - 10)}`)).toEqual(unauthorized);
  });

  it('a foreign key with our kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    expect(await refused(await new SignJWT(real.claims).setProtectedHeader(header()).sign(privateKey))).toEqual(unauthorized);
  });

  it('key material in the header (jwk, jku, x5u, x5c), with no outbound request', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const attackerJwk: JWK = await exportJWK(publicKey);
    const signAttacker = (extra: Record<string, unknown>) =>
      new SignJWT(real.claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', ...extra }).sign(privateKey);
    expect(await refused(await signAttacker({ jwk: attackerJwk }))).toEqual(unauthorized);
    expect(await refused(await signAttacker({ jwk: attackerJwk, kid: 'e2e-key' }))).toEqual(unauthorized);
    expect(await refused(await signAttacker({ jku: keyServerUrl, kid: 'attacker' }))).toEqual(unauthorized);
    expect(await refused(await signAttacker({ x5u: keyServerUrl }))).toEqual(unauthorized);
    expect(await refused(await signAttacker({ x5c: [base64url.encode(createHash('sha256').update('not a cert').digest())] }))).toEqual(unauthorized);
    expect(keyServerHits).toBe(0);
  });

  it('kid: path traversal, huge, not a string', async () => {
    for (const kid of ['../../../../etc/passwd', '/dev/zero', 'x'.repeat(3000), 42, { $ne: null }, null, ['e2e-key']]) {
      const token = `${enc({ alg: 'RS256', typ: 'at+jwt', kid })}.${enc(real.claims)}.${real.accessToken.split('.')[2]}`;
      expect({ kid: String(kid).slice(0, 30), ...(await refused(token)) }).toEqual({ kid: String(kid).slice(0, 30), ...unauthorized });
    }
  });

  it('crit with an unknown extension, even signed with our key', async () => {
    // jose will not even sign this, so it is signed by hand with our private key.
    const input = `${enc(header({ crit: ['urn:example:unknown'], 'urn:example:unknown': true }))}.${enc(real.claims)}`;
    const signature = await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.signer.key as webcrypto.CryptoKey, new TextEncoder().encode(input));
    const token = `${input}.${base64url.encode(new Uint8Array(signature))}`;
    expect(await refused(token)).toEqual(unauthorized);
    // The same hand signing without crit is accepted: the refusal is about crit alone.
    const plain = `${enc(header())}.${enc(real.claims)}`;
    const plainSignature = await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.signer.key as webcrypto.CryptoKey, new TextEncoder().encode(plain));
    expect((await refused(`${plain}.${base64url.encode(new Uint8Array(plainSignature))}`)).status).toBe(200);
  });

  it('two- and four-segment tokens, and a five-part JWE', async () => {
    const [h, p, s] = real.accessToken.split('.') as [string, string, string];
    expect(await refused(`${h}.${p}`)).toEqual(unauthorized);
    expect(await refused(`${h}.${p}.${s}.${s}`)).toEqual(unauthorized);
    expect(await refused(`${enc({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'e2e-key' })}.a.b.c.d`)).toEqual(unauthorized);
  });

  it('tokens of 8 KB, 64 KB and 1 MB are refused, never served', async () => {
    const [h, , s] = real.accessToken.split('.') as [string, string, string];
    const padded = (bytes: number) => `${h}.${enc({ ...real.claims, pad: 'x'.repeat(bytes) })}.${s}`;
    expect(await refused(padded(8 * 1024))).toEqual(unauthorized);
    for (const size of [64 * 1024, 1024 * 1024]) {
      // Past the HTTP server's header limit the request is refused before any code of ours runs: 400 or
      // 431 from the server's parser, or the connection closed on a request still being sent. Any other
      // failure (a server that is down, say) is no refusal, and fails here with its code.
      const outcome = await refused(padded(size)).then(
        (r) => r.status,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? `${error.name}: ${error.message}`,
      );
      expect({ size, outcome: [400, 431, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(outcome) ? 'refused' : outcome }).toEqual({
        size,
        outcome: 'refused',
      });
    }
  });

  it('our own key, but without exp, with nbf in the future, or with the wrong iss, aud or typ', async () => {
    const { exp: _exp, ...withoutExp } = real.claims;
    expect(await refused(await signOurs(withoutExp))).toEqual(unauthorized);
    expect(await refused(await signOurs({ ...real.claims, nbf: Math.floor(Date.now() / 1000) + 3600 }))).toEqual(unauthorized);
    expect(await refused(await signOurs({ ...real.claims, iss: 'https://evil.example' }))).toEqual(unauthorized);
    expect(await refused(await signOurs({ ...real.claims, aud: 'another-api' }))).toEqual(unauthorized);
    expect(await refused(await signOurs(real.claims, header({ typ: 'JWT' })))).toEqual(unauthorized);
    expect(await refused(await signOurs(real.claims, header({ typ: undefined })))).toEqual(unauthorized);
    expect(settings().iss).toBe(real.claims.iss);
  });

  it('a refresh token used as an access token, and the reverse', async () => {
    expect(await refused(real.refreshToken)).toEqual(unauthorized);
    // An access token has a JWT's shape, which no refresh token has: refused by validation before any lookup.
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: real.accessToken } })).toMatchObject({
      status: 400,
      json: { message: 'refreshToken is an access token (a JWT): send the refreshToken from the sign-in or refresh answer' },
    });
    const [, , signature] = real.accessToken.split('.');
    expect(await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: signature } })).toMatchObject({
      status: 403,
      json: { message: 'Refresh token is not in database!' },
    });
  });

  it('both headers with different tokens are not authorized as the stronger one', async () => {
    const response = await api('GET', '/api/test/admin', { headers: { 'x-access-token': real.accessToken, authorization: `Bearer ${adminToken}` } });
    expect({ status: response.status, body: response.json }).toEqual(unauthorized);
    const reversed = await api('GET', '/api/test/admin', { headers: { 'x-access-token': adminToken, authorization: `Bearer ${real.accessToken}` } });
    expect({ status: reversed.status, body: reversed.json }).toEqual(unauthorized);
  });
});
