import { api, signIn, signUp, type ApiResponse } from '../support/api';
import { newUser } from '../support/data';

// Error hygiene: whatever goes wrong, the answer is the same small JSON shape, with no trace of the
// machinery behind it.
const LEAKS = [
  /\bat [\w.<>]+ \(.*:\d+:\d+\)/, // a stack frame
  /\/(work|var\/task|home|tmp|usr)\//, // a file path
  /node_modules|\.ts\b|\.js:\d/,
  /Exception\b|ValidationException|ConditionalCheckFailed|TransactionCanceled|ResourceNotFound/,
  /JOSE|JWS[A-Z]|JWT[A-Z]|ERR_JW|ZodError|SyntaxError|TypeError/,
  /lambda-jwt-auth-local/, // the table name
];

async function failures(): Promise<[string, ApiResponse][]> {
  const user = newUser();
  await signUp(user);
  const login = await signIn(user.username, user.password);
  const token = login.json.accessToken as string;
  return [
    ['signup non-JSON', await api('POST', '/api/auth/signup', { rawBody: '{"a":', headers: { 'content-type': 'application/json' } })],
    ['signup taken', await signUp(user)],
    ['signup bad role', await signUp({ ...newUser(), roles: ['root'] })],
    ['signup wrong types', await signUp({ username: 1, email: [], password: {} })],
    ['signup form body', await api('POST', '/api/auth/signup', { rawBody: 'a=b', headers: { 'content-type': 'text/plain' } })],
    ['signin wrong password', await signIn(user.username, 'wrong password')],
    ['signin huge', await api('POST', '/api/auth/signin', { body: { username: 'x'.repeat(300), password: 'y' } })],
    ['refresh unknown', await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: 'nope' } })],
    ['refresh wrong type', await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: 42 } })],
    ['signout unknown', await api('POST', '/api/auth/signout', { body: { refreshToken: 'nope' } })],
    ['me no token', await api('GET', '/api/auth/me')],
    ['me garbage token', await api('GET', '/api/auth/me', { token: 'garbage' })],
    ['mod as user', await api('GET', '/api/test/mod', { token })],
    ['admin list as user', await api('GET', '/api/admin/users', { token })],
    ['session unknown', await api('DELETE', '/api/auth/sessions/nope', { token })],
    ['password wrong', await api('POST', '/api/auth/password', { token, body: { currentPassword: 'nope', newPassword: 'whatever long' } })],
    ['unknown path', await api('GET', '/api/nothing-here')],
    ['wrong method', await api('DELETE', '/api/test/all')],
  ];
}

describe('error answers', () => {
  let answers: [string, ApiResponse][];
  beforeAll(async () => {
    answers = await failures();
  });

  it('are 4xx JSON {message} (sign-in adds accessToken: null), never more', () => {
    for (const [name, response] of answers) {
      expect({ name, status: response.status >= 400 && response.status < 500 }).toEqual({ name, status: true });
      expect({ name, type: response.headers.get('content-type') }).toEqual({ name, type: expect.stringContaining('application/json') });
      const keys = Object.keys(response.json).sort();
      expect({ name, keys }).toEqual({ name, keys: name === 'signin wrong password' ? ['accessToken', 'message'] : ['message'] });
      expect(typeof response.json.message).toBe('string');
    }
  });

  it('carry no stack trace, file path, SDK or jose exception name, or table name', () => {
    for (const [name, response] of answers) {
      for (const leak of LEAKS) expect({ name, leak: leak.source, found: leak.test(response.text) }).toEqual({ name, leak: leak.source, found: false });
    }
  });

  it('carry nosniff, and no-store', () => {
    for (const [name, response] of answers) {
      expect({ name, nosniff: response.headers.get('x-content-type-options') }).toEqual({ name, nosniff: 'nosniff' });
      expect({ name, cache: response.headers.get('cache-control') }).toEqual({ name, cache: expect.stringContaining('no-store') });
    }
  });
});

describe('token responses', () => {
  it('are never cacheable', async () => {
    const user = newUser();
    await signUp(user);
    const login = await signIn(user.username, user.password);
    const refreshed = await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: login.json.refreshToken } });
    for (const response of [login, refreshed]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});
