/**
 * Every string of the wire contract (../shared/contract.md) in one place: the tutorial's messages that
 * front-ends match on, and ours. Field-specific validation messages stay beside their schemas
 * (validation.ts); errors.ts and the handlers take their texts from here.
 */
export const MESSAGES = {
  registered: 'User was registered successfully!',
  signedOut: "You've been signed out!",
  nothingToSignOut: 'No session to sign out: send refreshToken, or all:true with an access token.',
  passwordChanged: 'Password was changed successfully! Please sign in again.',
  sessionRevoked: 'Session was revoked!',
  userDeleted: 'User was deleted successfully!',
  accountDeleted: 'Your account was deleted.',
  lastAdmin: 'Refused: this would leave no admin. Make another user an admin first.',

  usernameTaken: 'Failed! Username is already in use!',
  emailTaken: 'Failed! Email is already in use!',
  unknownRole: (role: string) => `Failed! Role does not exist = ${role}`,
  invalidCredentials: 'Invalid username or password!',
  currentPasswordWrong: 'Current password is incorrect!',
  tooManyAttempts: 'Too many sign-in attempts. Please try again later.',
  sessionNotFound: 'Session not found.',
  userNotFound: 'User not found.',
  cursorInvalid: 'cursor is invalid',
  unsupportedMediaType: 'Content-Type must be application/json.',
  bodyTooLarge: (maxBytes: number) => `Request body is too large (at most ${maxBytes} bytes).`,
  /** A path or method no route has: API Gateway's answer (deploy/resources/gateway-responses.yml), not a function's. */
  notFound: 'Not found.',
  unavailable: 'Service temporarily unavailable. Please try again.',
  internal: 'Internal server error.',

  invalidCode: 'Invalid code!',
  mfaExpired: 'MFA session expired. Please sign in again.',
  mfaAlreadyOn: 'MFA is already enabled. Turn it off first.',
  mfaNotPending: 'No MFA setup to confirm. Start with /api/auth/mfa/totp/setup.',
  mfaDisabled: 'MFA was turned off.',
  mfaReset: "The user's MFA was reset.",
  tooManyCodes: 'Too many wrong codes. Please try again later.',
  mfaNotOn: 'MFA is not enabled. Turn it on first.',

  passkeyRegistrationFailed: 'Passkey registration failed.',
  passkeySignInFailed: 'Passkey sign-in failed.',
  passkeyNotFound: 'Passkey not found.',
  passkeyRemoved: 'Passkey was removed.',
  tooManyPasskeys: (max: number) => `At most ${max} passkeys per account: remove one first.`,

  providerNotFound: 'Provider not found.',
  redirectUriNotAllowed: 'redirect_uri is not allowed.',
  oauthStateInvalid: 'Sign-in state is invalid or has expired. Please start again.',
  oauthCodeInvalid: 'Sign-in code is invalid or has expired.',
  identityNotFound: 'No identity of that provider is linked.',
  identityUnlinked: 'The identity was unlinked.',
  passwordRequired: 'password is required',
  freshSignInRequired: 'Please sign in again to link a provider.',
  lastWayToSignIn: 'This is your last way to sign in: add a password, a passkey or another provider first.',
  /** What a social sign-in's return page is told (`#error=<code>&message=…`), by error code. */
  federation: {
    account_exists: 'An account already uses this email. Sign in and link this provider from your account.',
    email_unverified: 'The provider has not verified this email address, so no account can be made with it.',
    no_email: 'The provider did not share an email address, so no account can be made.',
    access_denied: 'The sign-in was cancelled at the provider.',
    identity_in_use: 'This account at the provider is already linked to another user.',
    signin_failed: 'Sign-in with the provider failed. Please try again.',
  },

  resetRequested: 'If an account uses that email, a reset link has been sent.',
  passwordReset: 'Password was reset successfully!',
  resetTokenInvalid: 'Reset token is invalid or has expired.',
  emailVerified: 'Email was verified successfully!',
  verifyTokenInvalid: 'Verification token is invalid or has expired.',
  verificationResent: 'If an account uses that email and it is not verified yet, a verification link has been sent.',
  emailNotVerified: 'Email is not verified!',
  emailChangeRequested: 'A confirmation link has been sent to the new address. Your email changes when it is opened.',
  emailUnchanged: 'newEmail is already your email address',
  tooManyMailRequests: 'Too many requests. Please try again later.',
  tooManySignUps: 'Too many sign-ups. Please try again later.',
  originNotAllowed: 'Origin not allowed.',

  refreshToken: {
    missing: 'Refresh Token is required!',
    unknown: 'Refresh token is not in database!',
    expired: 'Refresh token was expired. Please make a new signin request',
    reused: 'Refresh token was already used. The session has been revoked. Please make a new signin request',
    // Only to a caller holding the token itself (its whole hash matched): a forged token naming a real
    // session is `unknown`, so this says nothing to anyone who did not already hold the session.
    ended: 'Session ended. Please sign in again.',
  },
  accessToken: {
    missing: 'No token provided!',
    expired: 'Unauthorized! Access Token was expired!',
    invalid: 'Unauthorized!',
  },
  roleRequired: {
    moderator: 'Require Moderator Role!',
    admin: 'Require Admin Role!',
  },
} as const;

/** The tutorial's test content routes. */
export const CONTENT = {
  public: 'Public Content.',
  user: 'User Content.',
  moderator: 'Moderator Content.',
  admin: 'Admin Content.',
} as const;
