// A fake of the service's HTTP answers, handed to the client as its `fetch`. The client is a library whose
// only way out is fetch, so this fake stands in for the network: no server, no sockets, no wall time.
// Each answer is what docs/openapi.yaml and the wire contract say the service answers.
import { createAuthClient, type AuthClientOptions } from '../../../client/src/index';

export const BASE_URL = 'http://localhost:8080';

/** A request as the fake saw it. */
export interface Seen {
  method: string;
  path: string;
  headers: Headers;
  credentials: Request['credentials'];
  body: unknown;
}

type Handler = (request: Seen) => Response | Promise<Response>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/** An unsigned JWT with these claims: the client only reads `iat`/`exp` to schedule, it verifies nothing. */
export function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

export const ALICE = { id: 'u-1', username: 'alice', email: 'alice@example.com', roles: ['ROLE_USER' as const] };

/** The sign-in body: tokens `access-1` / `refresh-1` unless told, `expiresIn` 900 s. */
export function signInBody(overrides: Partial<{ accessToken: string; refreshToken: string; expiresIn: number }> = {}) {
  return { ...ALICE, accessToken: 'access-1', refreshToken: 'refresh-1', tokenType: 'Bearer', expiresIn: 900, ...overrides };
}

/** A promise the test settles when it wants: holds an answer back so that calls overlap. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

export function fakeService() {
  const routes = new Map<string, Handler>();
  const seen: Seen[] = [];

  async function fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const text = await request.text();
    const entry: Seen = {
      method: request.method,
      path: url.pathname,
      headers: request.headers,
      credentials: request.credentials,
      body: text === '' ? undefined : JSON.parse(text),
    };
    seen.push(entry);
    const handler = routes.get(`${request.method} ${url.pathname}`);
    return handler ? handler(entry) : json(404, { message: 'Not found.' });
  }

  return {
    fetch,
    seen,
    /** Answer `method path` with `handler` from now on. */
    on(method: string, path: string, handler: Handler) {
      routes.set(`${method} ${path}`, handler);
      return this;
    },
    /** The requests to `method path` so far. */
    calls(method: string, path: string): Seen[] {
      return seen.filter((request) => request.method === method && request.path === path);
    },
  };
}

export type FakeService = ReturnType<typeof fakeService>;

/** A client of the fake service, on a clock the test moves (`clock.now`, milliseconds). */
export function clientOf(service: FakeService, options: Partial<AuthClientOptions> & Pick<AuthClientOptions, 'mode'>) {
  const clock = { now: 0 };
  const client = createAuthClient({ baseUrl: BASE_URL, fetch: service.fetch, now: () => clock.now, ...options });
  return { client, clock };
}

/** The bearer token a request carried, or null. */
export const bearerOf = (request: Seen | undefined) => request?.headers.get('authorization')?.replace(/^Bearer /, '') ?? null;
