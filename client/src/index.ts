/**
 * The typed client of lambda-jwt-auth for front-ends: `createAuthClient({ baseUrl, mode })`. Types come
 * from docs/openapi.yaml (schema.d.ts, generated); calls go through openapi-fetch.
 */
export {
  type AuthClient,
  type AuthClientOptions,
  type AuthenticatePasskey,
  type LinkedIdentity,
  createAuthClient,
  type MfaAnswer,
  type MfaChallenge,
  type PasskeyAssertion,
  type PasskeyRequestOptionsJSON,
  type Profile,
  type SignedOut,
  type SignInRequest,
  type SignInResult,
  type SignUpRequest,
  type SocialProvider,
  type SocialSignInOptions,
  type SocialSignInResult,
} from './client.js';
export { AuthError } from './errors.js';
export type { components, operations, paths } from './schema';
export { memoryStorage, type SessionStorage, type SignedInUser, type StoredSession, type WebStorage, webStorage } from './session.js';
