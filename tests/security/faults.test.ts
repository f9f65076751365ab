import { newKeySet } from '../../lib/access/signing-keys';
import { startApiStack, type ApiStack } from '../../scripts/local-stack';
import { newUser } from '../support/data';

// A database that goes away: this file runs its own stack (DynamoDB Local keeping its data in a
// folder, so it can be stopped and started again) and stops it, or freezes it with SIGSTOP so calls
// hang. The authorizer's cache is off here, so every protected request needs the table.
// The promise (lib/shared/deadline.ts): every endpoint answers 503 within 3 s while the database hangs, far
// inside the 10 s Lambda timeout (serverless.yml provider.timeout).
const OUTAGE_ANSWER_MS = 3000;
let stack: ApiStack;

async function call(method: string, path: string, body?: unknown, token?: string) {
  const started = Date.now();
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { 'x-access-token': token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, ms: Date.now() - started, type: response.headers.get('content-type') ?? '' };
}

beforeAll(async () => {
  stack = await startApiStack({
    keySet: await newKeySet('fault-key'),
    env: { BCRYPT_COST: '4', AUTHORIZER_CACHE_TTL: '0' },
    persistent: true,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function signedInUser() {
  const user = newUser();
  expect((await call('POST', '/api/auth/signup', user)).status).toBe(200);
  const login = JSON.parse((await call('POST', '/api/auth/signin', { username: user.username, password: user.password })).text) as {
    accessToken: string;
    refreshToken: string;
  };
  return { user, ...login };
}

async function outageAnswers(session: Awaited<ReturnType<typeof signedInUser>>, during: ReturnType<typeof newUser>) {
  return Promise.all([
    call('POST', '/api/auth/signup', during),
    call('POST', '/api/auth/signin', { username: session.user.username, password: session.user.password }),
    call('POST', '/api/auth/refreshtoken', { refreshToken: session.refreshToken }),
    call('POST', '/api/auth/signout', { refreshToken: session.refreshToken }),
    call('GET', '/api/test/user', undefined, session.accessToken),
    call('GET', '/api/auth/me', undefined, session.accessToken),
    call('GET', '/api/auth/sessions', undefined, session.accessToken),
  ]);
}

function expectUnavailable(answers: Awaited<ReturnType<typeof outageAnswers>>) {
  for (const answer of answers) {
    expect({ status: answer.status, json: answer.type.includes('application/json'), text: answer.text }).toEqual({
      status: 503,
      json: true,
      text: '{"message":"Service temporarily unavailable. Please try again."}',
    });
    expect(answer.ms).toBeLessThan(OUTAGE_ANSWER_MS);
  }
}

async function expectWholeOrNothing(user: ReturnType<typeof newUser>) {
  // Either the sign-up happened entirely (the user signs in, name and email are taken) or not at all
  // (both are free): never a claimed name without its user.
  const signin = await call('POST', '/api/auth/signin', { username: user.username, password: user.password });
  const again = await call('POST', '/api/auth/signup', user);
  if (signin.status === 200) expect(again.text).toContain('already in use');
  else expect({ signin: signin.status, again: again.status }).toEqual({ signin: 401, again: 200 });
}

describe('a stopped database', () => {
  it('turns every endpoint that needs it into a fast 503, fails protected routes closed, keeps public ones up, and leaves nothing half-written', async () => {
    const session = await signedInUser();
    const during = newUser();
    await stack.database.dynamo.stop();
    try {
      expectUnavailable(await outageAnswers(session, during));
      expect(await call('GET', '/api/test/all')).toMatchObject({ status: 200, text: 'Public Content.' });
      expect((await call('GET', '/.well-known/jwks.json')).status).toBe(200);
    } finally {
      await stack.restartDatabase();
    }
    expect((await call('GET', '/api/test/user', undefined, session.accessToken)).status).toBe(200);
    await expectWholeOrNothing(during);
  });
});

describe('a database that hangs', () => {
  it('answers 503 within 3 s instead of hanging, and recovers when it answers again', async () => {
    const session = await signedInUser();
    const during = newUser();
    process.kill(stack.database.dynamo.pid, 'SIGSTOP');
    let answers: Awaited<ReturnType<typeof outageAnswers>>;
    try {
      answers = await outageAnswers(session, during);
    } finally {
      process.kill(stack.database.dynamo.pid, 'SIGCONT');
    }
    expectUnavailable(answers);
    // Requests the frozen database had queued may still complete after it wakes; whatever did, did
    // so whole.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await expectWholeOrNothing(during);
    expect((await call('GET', '/api/test/user', undefined, session.accessToken)).status).toBe(200);
  });
});
