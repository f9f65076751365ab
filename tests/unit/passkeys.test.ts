import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { challengeOf, verifiedAssertion, verifiedRegistration } from '../../lib/passkeys/ceremony';
import type { RelyingPartyConfig } from '../../lib/passkeys/types';
import { configProblems, loadConfig } from '../../lib/shared/config';
import { createCredential } from '../../scripts/soft-authenticator';
import vectors from './fixtures/passkey-vectors.json';

// The service's two WebAuthn checks (lib/passkeys/ceremony.ts, over @simplewebauthn/server) against fixed
// vectors: one registration and two assertions by one ES256 credential, made once for rp id localhost and
// origin http://localhost:8081 (the fixture's note). Each refusal below is one check the service relies on.
const rp: RelyingPartyConfig = { webauthnRpId: vectors.rpId, webauthnRpName: 'unit', webauthnOrigins: [vectors.origin] };
const registration = vectors.registration as unknown as RegistrationResponseJSON;
const assertion = vectors.assertion as unknown as AuthenticationResponseJSON;
const withoutUv = vectors.assertionWithoutUserVerification as unknown as AuthenticationResponseJSON;

async function registered() {
  const credential = await verifiedRegistration(rp, registration, vectors.registrationChallenge);
  if (!credential) throw new Error('the registration vector no longer verifies');
  return credential;
}

describe('registration vector', () => {
  it('verifies for its challenge, origin and relying party, yielding the credential to store', async () => {
    expect(await registered()).toEqual({
      id: registration.id,
      publicKey: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      counter: 1,
      transports: ['internal'],
      backedUp: false,
    });
  });

  it.each([
    ['another challenge', rp, 'c29tZSBvdGhlciBjaGFsbGVuZ2U'],
    ['an origin not configured', { ...rp, webauthnOrigins: ['http://localhost:9999'] }, vectors.registrationChallenge],
    ['another relying party id', { ...rp, webauthnRpId: 'example.com', webauthnOrigins: ['https://example.com'] }, vectors.registrationChallenge],
  ])('is refused for %s', async (_, party, challenge) => {
    expect(await verifiedRegistration(party, registration, challenge)).toBeUndefined();
  });

  it('is refused as a sign-in answer (a creation is no assertion)', async () => {
    const credential = await registered();
    expect(await verifiedAssertion(rp, registration as unknown as AuthenticationResponseJSON, vectors.registrationChallenge, credential)).toBeUndefined();
  });
});

describe('assertion vectors', () => {
  it('verify with the stored key; user verification is read from the flags', async () => {
    const credential = await registered();
    expect(await verifiedAssertion(rp, assertion, vectors.signInChallenge, credential)).toEqual({ newCounter: 2, userVerified: true, counterRegressed: false });
    expect(await verifiedAssertion(rp, withoutUv, vectors.signInChallenge, credential)).toMatchObject({ userVerified: false });
  });

  it('report a counter that did not grow past the stored one', async () => {
    const credential = await registered();
    expect(await verifiedAssertion(rp, assertion, vectors.signInChallenge, { ...credential, counter: 2 })).toMatchObject({ counterRegressed: true });
    expect(await verifiedAssertion(rp, assertion, vectors.signInChallenge, { ...credential, counter: 7 })).toMatchObject({ counterRegressed: true });
    expect(await verifiedAssertion(rp, assertion, vectors.signInChallenge, { ...credential, counter: 1 })).toMatchObject({ counterRegressed: false });
  });

  it('are refused with another key, another challenge, another origin, or a flipped bit of the signed data', async () => {
    const credential = await registered();
    const flipped = Buffer.from(assertion.response.authenticatorData, 'base64url');
    flipped[32]! ^= 0x04; // the UV flag: claiming a verification that was not signed
    const tampered = { ...assertion, response: { ...assertion.response, authenticatorData: flipped.toString('base64url') } };
    // A well-formed key of another credential (made now: only its public key matters here).
    const other = createCredential(
      { challenge: vectors.registrationChallenge, rp: { id: rp.webauthnRpId }, user: { id: 'b3RoZXI' } },
      { origin: vectors.origin },
    );
    const otherKey = (await verifiedRegistration(rp, other.response as unknown as RegistrationResponseJSON, vectors.registrationChallenge))!.publicKey;
    expect(await verifiedAssertion(rp, assertion, vectors.signInChallenge, { ...credential, publicKey: otherKey })).toBeUndefined();
    expect(await verifiedAssertion(rp, assertion, vectors.registrationChallenge, credential)).toBeUndefined();
    expect(await verifiedAssertion({ ...rp, webauthnOrigins: ['http://localhost:9999'] }, assertion, vectors.signInChallenge, credential)).toBeUndefined();
    expect(await verifiedAssertion(rp, tampered, vectors.signInChallenge, credential)).toBeUndefined();
  });
});

describe('challengeOf', () => {
  it('reads the challenge a browser signed; anything else is undefined', () => {
    expect(challengeOf(assertion.response.clientDataJSON)).toBe(vectors.signInChallenge);
    expect(challengeOf('not-client-data')).toBeUndefined();
    expect(challengeOf(Buffer.from(JSON.stringify({ challenge: 'a b' })).toString('base64url'))).toBeUndefined();
  });
});

describe('WebAuthn configuration', () => {
  const minimal = { TABLE_NAME: 't' };
  it("defaults to localhost and the CORS origins on it, and the service's own (its hosted pages)", () => {
    expect(loadConfig({ ...minimal, CORS_ORIGIN: 'http://localhost:3000,https://app.example.com,http://localhost:8081' })).toMatchObject({
      webauthnRpId: 'localhost',
      webauthnOrigins: ['http://localhost:3000', 'http://localhost:8081', 'http://localhost:8080'],
      webauthnRpName: 'lambda-jwt-auth',
    });
  });

  it("adds the service's origin to the listed ones when it is under the id, once, and not otherwise", () => {
    const origins = (env: Record<string, string>) => loadConfig({ ...minimal, WEBAUTHN_RP_ID: 'example.com', ...env }).webauthnOrigins;
    expect(origins({ WEBAUTHN_ORIGINS: 'https://app.example.com', SERVICE_URL: 'https://auth.example.com/prod' })).toEqual([
      'https://app.example.com',
      'https://auth.example.com',
    ]);
    expect(origins({ WEBAUTHN_ORIGINS: 'https://auth.example.com', SERVICE_URL: 'https://auth.example.com' })).toEqual(['https://auth.example.com']);
    expect(origins({ WEBAUTHN_ORIGINS: 'https://app.example.com', SERVICE_URL: 'https://abc.execute-api.us-east-1.amazonaws.com/prod' })).toEqual([
      'https://app.example.com',
    ]);
  });

  it('takes origins under the relying party id, and names each one that is not', () => {
    expect(loadConfig({ ...minimal, WEBAUTHN_RP_ID: 'Example.com', WEBAUTHN_ORIGINS: 'https://example.com,https://app.example.com/' })).toMatchObject({
      webauthnRpId: 'example.com',
      webauthnOrigins: ['https://example.com', 'https://app.example.com'],
    });
    expect(
      configProblems(() =>
        loadConfig({ ...minimal, WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org,https://badexample.com,app.example.com' }),
      ),
    ).toEqual([
      'WEBAUTHN_ORIGINS=https://example.org,https://badexample.com,app.example.com holds https://example.org, whose host is not WEBAUTHN_RP_ID=example.com nor under it',
      'WEBAUTHN_ORIGINS=https://example.org,https://badexample.com,app.example.com holds https://badexample.com, whose host is not WEBAUTHN_RP_ID=example.com nor under it',
      'WEBAUTHN_ORIGINS=https://example.org,https://badexample.com,app.example.com holds app.example.com, which is not an http(s) origin (e.g. https://app.example.com)',
    ]);
  });
});
