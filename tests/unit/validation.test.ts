import { BadRequestError, UnknownRoleError } from '../../lib/shared/errors';
import { parseRoles, toAuthorities } from '../../lib/shared/roles';
import { signInSchema, signUpSchema, validate } from '../../lib/shared/validation';

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
});
