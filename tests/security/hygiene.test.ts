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

/** Each failure with the status the contract gives it. */
async function failures(): Promise<[string, number, ApiResponse][]> {
  const user = newUser();
  await signUp(user);
  const login = await signIn(user.username, user.password);
  const token = login.json.accessToken as string;
  return [
    ['signup non-JSON', 400, await api('POST', '/api/auth/signup', { rawBody: '{"a":', headers: { 'content-type': 'application/json' } })],
    ['signup taken', 400, await signUp(user)],
    ['signup bad role', 400, await signUp({ ...newUser(), roles: ['root'] })],
    ['signup wrong types', 400, await signUp({ username: 1, email: [], password: {} })],
    ['signup form body', 415, await api('POST', '/api/auth/signup', { rawBody: 'a=b', headers: { 'content-type': 'text/plain' } })],
    ['signin wrong password', 401, await signIn(user.username, 'wrong password')],
    ['signin huge', 400, await api('POST', '/api/auth/signin', { body: { username: 'x'.repeat(300), password: 'y' } })],
    ['refresh unknown', 403, await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: 'nope' } })],
    ['refresh wrong type', 400, await api('POST', '/api/auth/refreshtoken', { body: { refreshToken: 42 } })],
    ['signout unknown', 403, await api('POST', '/api/auth/signout', { body: { refreshToken: 'nope' } })],
    ['me no token', 401, await api('GET', '/api/auth/me')],
    ['me garbage token', 401, await api('GET', '/api/auth/me', { token: 'garbage' })],
    ['mod as user', 403, await api('GET', '/api/test/mod', { token })],
    ['admin list as user', 403, await api('GET', '/api/admin/users', { token })],
    ['session unknown', 404, await api('DELETE', '/api/auth/sessions/nope', { token })],
    ['password wrong', 401, await api('POST', '/api/auth/password', { token, body: { currentPassword: 'nope', newPassword: 'whatever long' } })],
    // 404 for both: no 405 on either flavour (deploy/resources/gateway-responses.yml, README).
    ['unknown path', 404, await api('GET', '/api/nothing-here')],
    ['wrong method', 404, await api('DELETE', '/api/test/all')],
  ];
}

describe('error answers', () => {
  let answers: [string, number, ApiResponse][];
  beforeAll(async () => {
    answers = await failures();
  });

  it('are JSON {message} with their exact 4xx status (sign-in adds accessToken: null), never more', () => {
    expect(answers.map(([name, , response]) => [name, response.status])).toEqual(answers.map(([name, status]) => [name, status]));
    for (const [name, , response] of answers) {
      expect({ name, type: response.headers.get('content-type') }).toEqual({ name, type: expect.stringContaining('application/json') });
      const keys = Object.keys(response.json).sort();
      expect({ name, keys }).toEqual({ name, keys: name === 'signin wrong password' ? ['accessToken', 'message'] : ['message'] });
      expect(typeof response.json.message).toBe('string');
    }
  });

  it('for an unknown path and an unknown method are the gateway\'s 404 "Not found." (no 405 on either flavour)', () => {
    const answered = Object.fromEntries(
      answers.filter(([name]) => name === 'unknown path' || name === 'wrong method').map(([name, , response]) => [name, [response.status, response.json]]),
    );
    const notFound = [404, { message: 'Not found.' }];
    expect(answered).toEqual({ 'unknown path': notFound, 'wrong method': notFound });
  });

  it('carry no stack trace, file path, SDK or jose exception name, or table name', () => {
    for (const [name, , response] of answers) {
      for (const leak of LEAKS) expect({ name, leak: leak.source, found: leak.test(response.text) }).toEqual({ name, leak: leak.source, found: false });
    }
  });

  it('carry nosniff, and no-store', () => {
    for (const [name, , response] of answers) {
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
