import type { AccountDeps } from '../../lib/account/types';

/**
 * The account settings of the integration tier: bcrypt at its cheapest, a lockout the tests can count
 * through, short windows. Tests that need one value different spread this and override it.
 */
export const testAccountConfig: AccountDeps['config'] = {
  issuer: 'it-issuer',
  audience: 'it-audience',
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 3600,
  refreshRotation: true,
  bcryptCost: 4,
  lockoutThreshold: 5,
  lockoutIpThreshold: 10_000,
  lockoutWindowSeconds: 60,
  mfaIssuer: 'it-issuer',
  eventsTtlSeconds: 3600,
  requireVerifiedEmail: false,
  emailIpThreshold: 100,
  emailIpWindowSeconds: 60,
  signupIpThreshold: 10_000,
  signupIpWindowSeconds: 60,
  authCookie: true,
};
