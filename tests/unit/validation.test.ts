import { BadRequestError, UnknownRoleError } from '../../lib/shared/errors';
import { parseRoles, toAuthorities } from '../../lib/shared/roles';
import { mfaConfirmSchema, mfaVerifySchema, refreshSchema, signInSchema, signOutSchema, signUpSchema, validate } from '../../lib/shared/validation';

const good = { username: 'alice_1', email: 'alice@example.com', password: 'correct horse' };

function message(body: unknown, schema: typeof signUpSchema | typeof signInSchema = signUpSchema): string {
  try {
    validate(schema, body);
    return 'valid';
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as Error).message;
  }
}

describe('sign-up validation', () => {
  it('accepts a good body and drops unknown fields', () => {
    expect(validate(signUpSchema, { ...good, isAdmin: true })).toEqual(good);
  });

  it.each([
    [{ ...good, username: undefined }, 'username is required'],
    [{ ...good, username: 42 }, 'username must be a string'],
    [{ ...good, username: 'al' }, 'username must be 3 to 32 characters'],
    [{ ...good, username: 'a'.repeat(33) }, 'username must be 3 to 32 characters'],
    [{ ...good, username: 'alice\u200b' }, 'username may contain only letters, digits, ".", "_" and "-"'],
    [{ ...good, username: 'аlice' }, 'username may contain only letters, digits, ".", "_" and "-"'],
    // Sign-in takes a name with '@' for an email: no username may look like one.
    [{ ...good, username: 'bob@example.com' }, 'username must not contain "@" (sign-in takes a name with "@" for an email address)'],
    [{ ...good, email: 'not-an-email' }, 'email must be a valid email address'],
    [{ ...good, email: { $gt: '' } }, 'email must be a string'],
    [{ ...good, password: 'short' }, 'password must be at least 8 characters'],
    [{ ...good, password: 'é'.repeat(37) }, 'password must be at most 72 bytes'],
    [{ ...good, roles: 'admin' }, 'roles must be a list of role names'],
  ])('refuses %j with "%s"', (body, expected) => {
    expect(message(body)).toBe(expected);
  });

  it('accepts a password of exactly 72 bytes', () => {
    expect(message({ ...good, password: 'x'.repeat(72) })).toBe('valid');
  });
});

describe('sign-in validation', () => {
  it('checks shape only', () => {
    expect(message({ username: 'x', password: 'y' }, signInSchema)).toBe('valid');
    expect(message({ username: 'x' }, signInSchema)).toBe('password is required');
    expect(message({ username: 'x', password: 'x'.repeat(73) }, signInSchema)).toBe('password must be at most 72 bytes');
  });
});

describe('roles', () => {
  it('default to user and keep a canonical order', () => {
    expect(parseRoles(undefined)).toEqual(['user']);
    expect(parseRoles([])).toEqual(['user']);
    expect(parseRoles(['admin', 'user', 'admin'])).toEqual(['user', 'admin']);
    expect(toAuthorities(['user', 'moderator'])).toEqual(['ROLE_USER', 'ROLE_MODERATOR']);
  });

  it('refuse names outside the allowed set with the tutorial message', () => {
    expect(() => parseRoles(['user', 'root'])).toThrow(new UnknownRoleError('root'));
    expect(() => parseRoles(['user', 'root'])).toThrow('Failed! Role does not exist = root');
  });

  it('take the form answers show (ROLE_USER) as well, in that case only', () => {
    expect(parseRoles(['ROLE_ADMIN', 'user', 'ROLE_MODERATOR'])).toEqual(['user', 'moderator', 'admin']);
    expect(parseRoles(toAuthorities(['user', 'admin']))).toEqual(['user', 'admin']);
    for (const name of ['ROLE_user', 'role_user', 'User', 'ROLE_', 'ROLE_ROOT', 'ROLE_USER '])
      expect(() => parseRoles([name])).toThrow(new UnknownRoleError(name));
  });
});

/** What a schema makes of a body: the parsed value, or the 400's message. */
function outcome(schema: Parameters<typeof validate>[0], body: unknown): unknown {
  try {
    return validate(schema, body);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as Error).message;
  }
}

describe('authenticator codes', () => {
  const mfaToken = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k', typ: 'mfa+jwt' })).toString('base64url')}.e30.c2ln`;

  it('ignore spaces in a string, and read a number of up to six digits zero-padded', () => {
    expect(outcome(mfaConfirmSchema, { code: '123 456' })).toEqual({ code: '123456' });
    expect(outcome(mfaConfirmSchema, { code: ' 12\t34 56 ' })).toEqual({ code: '123456' });
    expect(outcome(mfaConfirmSchema, { code: 123456 })).toEqual({ code: '123456' });
    expect(outcome(mfaConfirmSchema, { code: 12345 })).toEqual({ code: '012345' });
    expect(outcome(mfaConfirmSchema, { code: 0 })).toEqual({ code: '000000' });
    expect(outcome(mfaVerifySchema, { mfaToken, code: 42 })).toEqual({ mfaToken, code: '000042' });
    // Letters stay what they are: a wrong code for the domain to count, not a shape error.
    expect(outcome(mfaConfirmSchema, { code: 'abc def' })).toEqual({ code: 'abcdef' });
  });

  it('refuse any other number or type, naming the field', () => {
    for (const code of [1_000_000, 12.5, -1, Number.MAX_SAFE_INTEGER]) expect(outcome(mfaConfirmSchema, { code })).toBe('code must be 6 digits');
    for (const code of [true, null, ['123456'], { code: 1 }]) expect(outcome(mfaConfirmSchema, { code })).toBe('code must be a string or a number of 6 digits');
    expect(outcome(mfaConfirmSchema, {})).toBe('code is required');
    expect(outcome(mfaConfirmSchema, { code: '1'.repeat(65) })).toBe('code is too long');
  });

  it('tell a malformed mfaToken, or a JWT of another kind, from one shaped as an mfaToken', () => {
    const notValid = 'mfaToken is not valid: send the mfaToken from the sign-in answer';
    const accessShaped = `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt' })).toString('base64url')}.e30.c2ln`;
    for (const bad of ['x', 'a.b.c', `${mfaToken}.d`, accessShaped, `!${mfaToken}`])
      expect(outcome(mfaVerifySchema, { mfaToken: bad, code: '1' })).toBe(notValid);
    expect(outcome(mfaVerifySchema, { mfaToken, code: '1' })).toEqual({ mfaToken, code: '1' });
  });
});

describe('refresh tokens', () => {
  it('name an access token (a JWT) sent in their place, before its length', () => {
    const jwtMessage = 'refreshToken is an access token (a JWT): send the refreshToken from the sign-in or refresh answer';
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${'e'.repeat(600)}.sig`;
    for (const schema of [refreshSchema, signOutSchema]) {
      expect(outcome(schema, { refreshToken: jwt })).toBe(jwtMessage);
      expect(outcome(schema, { refreshToken: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' })).toBe(jwtMessage);
      expect(outcome(schema, { refreshToken: 'x'.repeat(513) })).toBe('refreshToken is too long');
      // A refresh token of either shape is not a JWT.
      expect(outcome(schema, { refreshToken: 'u.s.0.secret' })).toEqual({ refreshToken: 'u.s.0.secret' });
      expect(outcome(schema, { refreshToken: 'eyJsecretFromBefore' })).toEqual({ refreshToken: 'eyJsecretFromBefore' });
    }
  });
});
