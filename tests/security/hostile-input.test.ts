import fc from 'fast-check';
import { admin, api, signIn, signUp, type ApiResponse } from '../support/api';
import { newUser } from '../support/data';

// Property-based hostile input over HTTP: whatever the body, every answer is a 4xx JSON error, no 5xx,
// and nothing is stored (the user count does not move).
let userToken: string;
let adminToken: string;
let victimId: string;
let victimName: string;
const RUNS = 40;

async function userCount(): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page: ApiResponse = await api('GET', `/api/admin/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: adminToken });
    count += (page.json.users as unknown[]).length;
    cursor = page.json.nextCursor as string | null;
  } while (cursor);
  return count;
}

/**
 * A refusal as the contract has it: one of `statuses`, JSON, with a message. Thrown with the request,
 * so fast-check shows the counterexample.
 */
function expectRefused(response: ApiResponse, statuses: readonly number[], context: unknown): void {
  const ok =
    statuses.includes(response.status) &&
    (response.headers.get('content-type') ?? '').includes('application/json') &&
    typeof response.json.message === 'string';
  if (!ok)
    throw new Error(`not a ${statuses.join('/')} JSON error: ${response.status} ${response.text.slice(0, 200)} for ${JSON.stringify(context).slice(0, 300)}`);
}

const FIELDS = [
  'username',
  'email',
  'password',
  'roles',
  'refreshToken',
  'all',
  'currentPassword',
  'newPassword',
  '__proto__',
  'constructor',
  'prototype',
  '$gt',
  '$ne',
];
const hostileValue = fc.oneof(
  fc.jsonValue(),
  fc.constant({ $gt: '' }),
  fc.constant({ $ne: null }),
  fc.string({ minLength: 2000, maxLength: 20_000 }),
  fc.array(fc.string(), { maxLength: 50 }),
  fc.constant('аdmin'), // Cyrillic а
  fc.constant('admin\u200b'),
  fc.constant('ＡＤＭＩＮ'),
);
const hostileObject = fc.dictionary(fc.constantFrom(...FIELDS), hostileValue, { maxKeys: 6 });
const hostileBody = fc.oneof(
  hostileObject.map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  hostileObject.map((value) => `{"username":"dup","username":${JSON.stringify(value)},"password":"x"}`),
);

// What each endpoint may answer a body it cannot use: validation (400), the tutorial's refusals of a
// token or password (401/403), the lockout (429) where wrong passwords are counted. Never a 200 (no body
// fast-check makes is a valid request, and none may change anything), except sign-out's answer to a body
// that names no session (`{}`, unknown fields dropped): 200, saying it ended nothing.
const endpoints: { name: string; method: string; path: () => string; token?: () => string; statuses: number[]; endsNothing?: string }[] = [
  { name: 'signup', method: 'POST', path: () => '/api/auth/signup', statuses: [400] },
  { name: 'signin', method: 'POST', path: () => '/api/auth/signin', statuses: [400, 401, 429] },
  { name: 'refresh', method: 'POST', path: () => '/api/auth/refreshtoken', statuses: [400, 403] },
  {
    name: 'signout',
    method: 'POST',
    path: () => '/api/auth/signout',
    statuses: [400, 401, 403],
    endsNothing: 'No session to sign out: send refreshToken, or all:true with an access token.',
  },
  { name: 'password', method: 'POST', path: () => '/api/auth/password', token: () => userToken, statuses: [400, 401, 429] },
  // Another user's roles, not the admin's own: a body that were accepted must not end the admin's session.
  { name: 'roles', method: 'PUT', path: () => `/api/admin/users/${victimId}/roles`, token: () => adminToken, statuses: [400] },
];

beforeAll(async () => {
  const user = newUser();
  await signUp(user);
  userToken = (await signIn(user.username, user.password)).json.accessToken as string;
  adminToken = (await signIn(admin().username, admin().password)).json.accessToken as string;
  const victim = newUser('victim');
  await signUp(victim);
  victimName = victim.username;
  victimId = (await signIn(victim.username, victim.password)).json.id as string;
});

/** The victim of the roles endpoint as the admin list shows it. */
async function victim(): Promise<unknown> {
  const page = await api('GET', `/api/admin/users?search=${victimName}`, { token: adminToken });
  expect(page.status).toBe(200);
  return (page.json.users as { id: string }[]).find((listed) => listed.id === victimId);
}

describe.each(endpoints)('$name with hostile JSON bodies', ({ method, path, token, statuses, endsNothing }) => {
  it('answers 4xx JSON and stores nothing', async () => {
    const [before, victimBefore] = [await userCount(), await victim()];
    expect(victimBefore).toMatchObject({ id: victimId, roles: ['user'] });
    await fc.assert(
      fc.asyncProperty(hostileBody, async (body) => {
        const response = await api(method, path(), { rawBody: body, headers: { 'content-type': 'application/json' }, ...(token ? { token: token() } : {}) });
        if (endsNothing !== undefined && response.status === 200 && response.json.message === endsNothing) return;
        expectRefused(response, statuses, body);
      }),
      { numRuns: RUNS },
    );
    expect(await userCount()).toBe(before);
    expect(await victim()).toEqual(victimBefore);
  });
});

describe('bytes and types that are not JSON', () => {
  it('invalid UTF-8 and wrong content types get a 4xx JSON answer', async () => {
    const before = await userCount();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
        ),
        fc.constantFrom('/api/auth/signup', '/api/auth/signin', '/api/auth/refreshtoken', '/api/auth/signout'),
        async (bytes, contentType, path) => {
          // Make sure the bytes are not valid UTF-8.
          const invalid = Uint8Array.from([...bytes, 0xc3, 0x28, 0xff]);
          // Not JSON by its type: 415; JSON by its type but not decodable: 400.
          const statuses = contentType.startsWith('application/json') ? [400] : [415];
          expectRefused(await api('POST', path, { rawBody: invalid, headers: { 'content-type': contentType } }), statuses, { path, contentType });
        },
      ),
      { numRuns: RUNS },
    );
    expect(await userCount()).toBe(before);
  });
});

describe('look-alike names', () => {
  it('a zero-width character, another script or full-width letters never make a second "alice"', async () => {
    const alice = newUser('alice');
    expect((await signUp(alice)).status).toBe(200);
    const before = await userCount();
    const variants = [
      `${alice.username}\u200b`,
      `\u200d${alice.username}`,
      alice.username.replace('a', 'а'), // Cyrillic
      alice.username.replace('a', 'ａ'), // full-width
      alice.username.replace('e', 'e\u0301'), // combining accent
      alice.username.toUpperCase(),
    ];
    for (const username of variants) {
      const response = await signUp({ ...newUser(), username });
      expect({ username, status: response.status }).toEqual({ username, status: 400 });
    }
    expect(await userCount()).toBe(before);
  });
});

// Keys DynamoDB would refuse (too long once normalised, or not keys this service issues) must be
// answered as bad input, never reach the table and come back as "try again" (503).
describe('oversized and forged keys', () => {
  let token: string;
  beforeAll(async () => {
    const user = newUser('keys');
    await signUp(user);
    token = (await signIn(user.username, user.password)).json.accessToken as string;
  });

  it('answers ids far beyond the key limits with 404', async () => {
    expect(await api('DELETE', `/api/auth/sessions/${'s'.repeat(1100)}`, { token })).toMatchObject({ status: 404, json: { message: 'Session not found.' } });
    expect(await api('PUT', `/api/admin/users/${'u'.repeat(2100)}/roles`, { token: adminToken, body: { roles: ['user'] } })).toMatchObject({ status: 404 });
    expect(await api('DELETE', `/api/admin/users/${'u'.repeat(2100)}`, { token: adminToken })).toMatchObject({ status: 404 });
  });

  it('answers a sign-in name that NFKC-expands past the key limit with 400', async () => {
    // U+FDFA is one character that NFKC turns into 18: 256 of them are 4608 characters.
    const response = await api('POST', '/api/auth/signin', { body: { username: '\uFDFA'.repeat(256), password: 'whatever' } });
    expect(response).toMatchObject({ status: 400, json: { message: 'username is too long' } });
  });

  it('answers a cursor it did not issue with 400: unsigned, with an empty key, or with its MAC broken', async () => {
    const unsigned = Buffer.from(JSON.stringify({ gsi1pk: 'USER', gsi1sk: '', pk: '', sk: '' })).toString('base64url');
    expect(await api('GET', `/api/admin/users?cursor=${unsigned}`, { token: adminToken })).toMatchObject({
      status: 400,
      json: { message: 'cursor is invalid' },
    });
    const page = await api('GET', '/api/admin/users?limit=1', { token: adminToken });
    const cursor = page.json.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    expect((await api('GET', `/api/admin/users?limit=1&cursor=${encodeURIComponent(cursor)}`, { token: adminToken })).status).toBe(200);
    const [body, tag] = cursor.split('.') as [string, string];
    const emptied = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), sk: '' })).toString('base64url');
    expect(await api('GET', `/api/admin/users?cursor=${emptied}.${tag}`, { token: adminToken })).toMatchObject({
      status: 400,
      json: { message: 'cursor is invalid' },
    });
    const flipped = `${body}.${tag.slice(0, -2)}${tag.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await api('GET', `/api/admin/users?cursor=${flipped}`, { token: adminToken })).toMatchObject({
      status: 400,
      json: { message: 'cursor is invalid' },
    });
  });
});
