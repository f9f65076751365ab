import * as z from 'zod/mini';
import { isMfaTokenShaped } from '../access/tokens';
import { BadRequestError } from './errors';
import { exceedsBcryptLimit, MAX_PASSWORD_BYTES } from './passwords';
import { normalizeIdentifier } from '../store/users';
import { MESSAGES } from './messages';

/**
 * Identifiers are looked up by their normalised form (NFKC, lower case), which can be many times
 * longer than what was typed (U+FDFA becomes 18 characters). DynamoDB keys end at 2048 bytes, so the
 * bound is on what the key will hold, not on the input.
 */
export const MAX_NORMALIZED_IDENTIFIER_BYTES = 1024;

/** Ids this service issues are UUIDs; anything else cannot name a user or session (a 404, not a query). */
export function isIssuedId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
}

/**
 * Request body schemas, built once at module load. Unknown fields are dropped, never stored.
 * Messages are written for the person reading the 400, and name the field. (`zod/mini`: the same
 * validation as classic zod at a fraction of the bundle size, which every cold start pays for.)
 */

/** A string field whose message tells a missing field from a wrong type. */
function text(field: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`) });
}

const passwordTooLong = `password must be at most ${MAX_PASSWORD_BYTES} bytes`;

// ASCII only: a Unicode username invites look-alikes ("аdmin" with a Cyrillic а) and invisible characters.
// No '@': sign-in reads a name with an '@' as an email address (lib/store/users.ts isEmailSignInName).
const username = text('username').check(
  z.minLength(3, 'username must be 3 to 32 characters'),
  z.maxLength(32, 'username must be 3 to 32 characters'),
  z.refine((value) => !value.includes('@'), 'username must not contain "@" (sign-in takes a name with "@" for an email address)'),
  z.regex(/^[A-Za-z0-9._-]+$/, 'username may contain only letters, digits, ".", "_" and "-"'),
);

const emailField = (field: string) =>
  z.pipe(text(field).check(z.maxLength(254, `${field} must be at most 254 characters`)), z.email({ error: `${field} must be a valid email address` }));
const email = emailField('email');

const password = text('password').check(
  z.minLength(8, 'password must be at least 8 characters'),
  z.maxLength(MAX_PASSWORD_BYTES, passwordTooLong),
  z.refine((value) => !exceedsBcryptLimit(value), passwordTooLong),
);

const roleList = 'roles must be a list of role names';

export const signUpSchema = z.object({
  username,
  email,
  password,
  roles: z.optional(z.array(z.string({ error: roleList }), { error: roleList }).check(z.maxLength(10, roleList))),
});
export type SignUpInput = z.infer<typeof signUpSchema>;

export const signInSchema = z.object({
  // Only shape and size here: a name that could never exist simply fails like a wrong password.
  // The account's email is accepted here too (one field, the tutorial's shape).
  username: text('username').check(
    z.minLength(1, 'username is required'),
    z.maxLength(256, 'username is too long'),
    z.refine((value) => Buffer.byteLength(normalizeIdentifier(value), 'utf8') <= MAX_NORMALIZED_IDENTIFIER_BYTES, 'username is too long'),
  ),
  password: text('password').check(
    z.minLength(1, 'password is required'),
    z.refine((value) => !exceedsBcryptLimit(value), passwordTooLong),
  ),
});
export type SignInInput = z.infer<typeof signInSchema>;

/**
 * A compact JWT: three base64url parts, the header's JSON starting `{"` (so `eyJ`). Refresh tokens are
 * never that (four dot-separated parts, or one from before), so this is an access token (or another of
 * our JWTs) sent in the wrong field: said plainly rather than as "too long" or "not in database".
 */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

// The JWT check first: the first problem is the one answered, and an access token is also too long.
const refreshTokenField = z.optional(
  text('refreshToken').check(
    z.refine((value) => !JWT_SHAPE.test(value), 'refreshToken is an access token (a JWT): send the refreshToken from the sign-in or refresh answer'),
    z.maxLength(512, 'refreshToken is too long'),
  ),
);

export const refreshSchema = z.object({ refreshToken: refreshTokenField });

/** Validates a parsed JSON body; the first problem becomes a 400 with its field-specific message. */
export function validate<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new BadRequestError(result.error.issues[0]?.message ?? 'Invalid request body.');
}

export const signOutSchema = z.object({
  refreshToken: refreshTokenField,
  all: z.optional(z.boolean({ error: 'all must be true or false' })),
});

/** A new password: the sign-up rules, with messages that name the field. */
const newPassword = text('newPassword').check(
  z.minLength(8, 'newPassword must be at least 8 characters'),
  z.maxLength(MAX_PASSWORD_BYTES, `newPassword must be at most ${MAX_PASSWORD_BYTES} bytes`),
  z.refine((value) => !exceedsBcryptLimit(value), `newPassword must be at most ${MAX_PASSWORD_BYTES} bytes`),
);

export const passwordChangeSchema = z.object({
  currentPassword: text('currentPassword').check(
    z.minLength(1, 'currentPassword is required'),
    z.refine((value) => !exceedsBcryptLimit(value), `currentPassword must be at most ${MAX_PASSWORD_BYTES} bytes`),
  ),
  newPassword,
});

/** Emailed tokens: their format is checked by the domain, which answers the contract's message. */
const emailedToken = text('token').check(z.maxLength(512, 'token is too long'));

export const passwordResetSchema = z.object({ token: emailedToken, newPassword });

export const emailVerifySchema = z.object({ token: emailedToken });

/** Forgot password, resend verification: only an address. */
export const emailRequestSchema = z.object({ email });

export const setRolesSchema = z.object({
  roles: z
    .array(z.string({ error: roleList }), { error: (issue) => (issue.input === undefined ? 'roles is required' : roleList) })
    .check(z.minLength(1, 'roles must name at least one role'), z.maxLength(10, roleList)),
});

/** `?limit&cursor` of every paginated list (users, events). */
export const pageQuerySchema = z.object({
  limit: z.optional(z.string().check(z.regex(/^(100|[1-9][0-9]?)$/, 'limit must be a whole number from 1 to 100'))),
  cursor: z.optional(z.string().check(z.maxLength(2048, MESSAGES.cursorInvalid))),
});

/** The admin list's query: a page, and optionally the start of a username or email to search for. */
export const userListQuerySchema = z.extend(pageQuerySchema, {
  search: z.optional(
    z.string().check(
      z.minLength(1, 'search must be 1 to 254 characters'),
      z.maxLength(254, 'search must be 1 to 254 characters'),
      z.refine((value) => Buffer.byteLength(normalizeIdentifier(value), 'utf8') <= MAX_NORMALIZED_IDENTIFIER_BYTES, 'search must be 1 to 254 characters'),
    ),
  ),
});

/**
 * An authenticator code, as people and clients send it: a string, spaces ignored ("123 456", as apps
 * show it), or a JSON number. A number cannot carry leading zeros (JSON forbids writing them), so one
 * from 0 to 999999 is read as its six digits zero-padded: 123 can only mean 000123 (a client that ran
 * `Number()` on the code), each number names exactly one code and the guesses stay one in a million;
 * refusing it would fail such a client on one code in ten. Any other number is a 400. A string that is
 * not six digits then is simply a wrong code (the domain's "Invalid code!").
 */
function totpCode(field: string) {
  const sixDigits = `${field} must be 6 digits`;
  return z.pipe(
    z.union([z.string(), z.number()], {
      error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string or a number of 6 digits`),
    }),
    z.transform((value, context) => {
      if (typeof value === 'string') {
        if (value.length <= 64) return value.replace(/\s/g, '');
        context.issues.push({ code: 'custom', message: `${field} is too long`, input: value });
      } else if (Number.isInteger(value) && value >= 0 && value <= 999_999) {
        return String(value).padStart(6, '0');
      } else {
        context.issues.push({ code: 'custom', message: sixDigits, input: value });
      }
      return z.NEVER;
    }),
  );
}

/** A recovery code: a string; case, spaces and dashes are ignored where it is checked (hashRecoveryCode). */
const recoveryCode = z.optional(text('recoveryCode').check(z.maxLength(64, 'recoveryCode is too long')));

export const mfaVerifySchema = z.object({
  // Shape only (an expired, spent or forged one is the domain's 401 "MFA session expired").
  mfaToken: text('mfaToken').check(
    z.minLength(1, 'mfaToken is required'),
    z.maxLength(4096, 'mfaToken is too long'),
    z.refine(isMfaTokenShaped, 'mfaToken is not valid: send the mfaToken from the sign-in answer'),
  ),
  code: z.optional(totpCode('code')),
  recoveryCode,
});

export const mfaConfirmSchema = z.object({ code: totpCode('code') });

/** The password that confirms a sensitive change by a signed-in caller (MFA setup, MFA off, new recovery codes, deleting the account). */
const confirmingPassword = text('password').check(
  z.minLength(1, 'password is required'),
  z.refine((value) => !exceedsBcryptLimit(value), passwordTooLong),
);
export const passwordConfirmSchema = z.object({ password: confirmingPassword });

/** POST /api/auth/email/change: the new address, confirmed with the current password. */
export const emailChangeSchema = z.object({ newEmail: emailField('newEmail'), password: confirmingPassword });

/**
 * Passkeys (WebAuthn). The browser's answers arrive as JSON with base64url fields (what
 * `@simplewebauthn/browser` and `PublicKeyCredential.toJSON()` send); only their shape and size are checked
 * here, their meaning by `@simplewebauthn/server`. A credential id is at most 1,023 bytes (1,364 base64url
 * characters); a client data or authenticator blob of 16 KB is far past anything an authenticator sends.
 */
const MAX_CREDENTIAL_ID_CHARS = 1364;
const base64url = (field: string, maxChars: number) =>
  text(field).check(z.maxLength(maxChars, `${field} is too long`), z.regex(/^[A-Za-z0-9_-]*$/, `${field} must be base64url`));
const credentialId = (field: string) => base64url(field, MAX_CREDENTIAL_ID_CHARS).check(z.minLength(1, `${field} is required`));
const BLOB_CHARS = 16_384;
const transports = z.optional(z.array(z.string().check(z.maxLength(32)), { error: 'transports must be a list' }).check(z.maxLength(10)));
const clientExtensions = z.optional(z.record(z.string(), z.unknown()));
const credentialType = z.literal('public-key', { error: 'type must be "public-key"' });
const attachment = z.optional(z.enum(['platform', 'cross-platform'], { error: 'authenticatorAttachment is not one of platform, cross-platform' }));

export function isCredentialId(value: string): boolean {
  return value.length > 0 && value.length <= MAX_CREDENTIAL_ID_CHARS && /^[A-Za-z0-9_-]+$/.test(value);
}

const passkeyName = text('name').check(z.trim(), z.minLength(1, 'name must be 1 to 64 characters'), z.maxLength(64, 'name must be 1 to 64 characters'));

/** A credential as the browser sends it (`PublicKeyCredential.toJSON()`), with its ceremony's own `response` fields. */
function browserCredential<Fields extends Record<string, z.ZodMiniType>>(fields: Fields, error: string) {
  return z.object(
    {
      id: credentialId('response.id'),
      rawId: credentialId('response.rawId'),
      type: credentialType,
      response: z.object(fields, { error: 'response.response must be an object' }),
      clientExtensionResults: z._default(clientExtensions, {}),
      authenticatorAttachment: attachment,
    },
    { error },
  );
}

export const passkeyRegistrationSchema = z.object({
  response: browserCredential(
    {
      clientDataJSON: base64url('response.response.clientDataJSON', BLOB_CHARS),
      attestationObject: base64url('response.response.attestationObject', BLOB_CHARS),
      transports,
    },
    'response must be the credential the browser created',
  ),
  name: z.optional(passkeyName),
});
export type PasskeyRegistrationInput = z.infer<typeof passkeyRegistrationSchema>;

export const passkeySignInSchema = z.object({
  challengeId: base64url('challengeId', 128).check(z.minLength(1, 'challengeId is required')),
  response: browserCredential(
    {
      clientDataJSON: base64url('response.response.clientDataJSON', BLOB_CHARS),
      authenticatorData: base64url('response.response.authenticatorData', BLOB_CHARS),
      signature: base64url('response.response.signature', BLOB_CHARS),
      userHandle: z.optional(z.nullable(base64url('response.response.userHandle', 128))),
    },
    'response must be the credential the browser returned',
  ),
});
export type PasskeySignInInput = z.infer<typeof passkeySignInSchema>;

export const passkeyRenameSchema = z.object({ name: passkeyName });

/** Whether a value passes sign-up's email rule (an address a provider reports, before it becomes an account's). */
export function isEmailAddress(value: string): boolean {
  return email.safeParse(value).success;
}

/** The one-time code of a social sign-in (`POST /api/auth/oauth/token`): openid-client's random 43 characters. */
export const oauthTokenSchema = z.object({
  code: text('code').check(z.regex(/^[A-Za-z0-9_-]{16,128}$/, MESSAGES.oauthCodeInvalid)),
});

/** `POST /api/auth/identities/{provider}/link`: the password (an account without one: none, after a fresh sign-in), and the page to return to. */
export const identityLinkSchema = z.object({ password: z.optional(confirmingPassword), redirect_uri: text('redirect_uri').check(z.maxLength(2048)) });

/** GET /api/auth/oauth/{provider}/authorize's query. */
export const authorizeQuerySchema = z.object({
  redirect_uri: text('redirect_uri').check(z.maxLength(2048, MESSAGES.redirectUriNotAllowed)),
  login_hint: z.optional(text('login_hint').check(z.maxLength(254, 'login_hint must be at most 254 characters'))),
  link: z.optional(text('link').check(z.regex(/^[A-Za-z0-9_-]{16,128}$/, MESSAGES.oauthStateInvalid))),
});
