import { randomBytes } from 'node:crypto';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { gateway } from './gateway';

/** A small HTTP client for the service under test (serverless-offline started by global-setup). */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function api(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string>; token?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  if (options.token) headers['x-access-token'] = options.token;
  const response = await fetch(`${process.env.E2E_URL}${path}`, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // plain-text content routes
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * A sign-up from a loopback address of its own, so the per-IP sign-up and mail limits (low in the e2e
 * stack) meet only the tests aimed at them. Drawn at random from 127.64.0.0/10, away from the 127.0.x.x
 * addresses tests pick by hand: test files run in parallel and each starts its module state afresh.
 */
export const signUp = (body: unknown, headers?: Record<string, string>) => apiFrom(freshLoopback(), 'POST', '/api/auth/signup', body, headers);

export function freshLoopback(): string {
  const [a, b, c] = randomBytes(3);
  return `127.${64 + (a! % 64)}.${b}.${1 + (c! % 254)}`;
}
export const signIn = (username: string, password: string) => api('POST', '/api/auth/signin', { body: { username, password } });

export function admin(): { username: string; email: string; password: string } {
  return JSON.parse(process.env.E2E_ADMIN!) as { username: string; email: string; password: string };
}

/**
 * The same request sent from another loopback address (127.0.0.2, 127.0.0.3, ...), so per-IP limits
 * can be tested without touching the address every other test uses.
 */
export function apiFrom(localAddress: string, method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = { ...extraHeaders, ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) };
  return send({ method, path, headers, localAddress }, (request) => request.end(payload));
}

/** A request exactly as given, with no header added (fetch gives a text body `Content-Type: text/plain`). */
export function rawApi(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<ApiResponse> {
  return send({ method, path, headers }, (request) => request.end(body));
}

function send(
  options: { method: string; path: string; headers: Record<string, string>; localAddress?: string },
  write: (request: ClientRequest) => void,
): Promise<ApiResponse> {
  const url = new URL(`${process.env.E2E_URL}${options.path}`);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: options.method,
        headers: options.headers,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) for (const one of [value ?? []].flat()) headers.append(name, one);
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // plain text
          }
          resolve({ status: response.statusCode ?? 0, headers, text, json });
        });
      },
    );
    request.on('error', reject);
    write(request);
  });
}

/** Polls until `check` holds or `withinMs` has passed; returns how long it took (or throws). */
export async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The margin over the revocation bound for one request's time (the poll's last request, on a loaded
 * 2-core machine). Fixed and small next to the bound (2 s in the e2e stack), so that a bound twice as
 * long as configured fails the tests that poll with it.
 */
export const ONE_REQUEST_MS = 500;

/** The configured revocation bound (E2E_REVOCATION_BOUND_MS: the authorizer's cache lifetime) plus one request's time. */
export function revocationDeadlineMs(boundMs = Number(process.env.E2E_REVOCATION_BOUND_MS)): number {
  if (!(boundMs > 0)) throw new Error('E2E_REVOCATION_BOUND_MS is not set: run this test in the e2e or security tier');
  return boundMs + ONE_REQUEST_MS;
}

/**
 * Polls `request` until the gateway refuses it (the flavour's refusal: support/gateway.ts), and fails once the revocation bound plus one request's time has
 * passed. Call it right after the revoking request, and use the token once just before that request:
 * then its cached decision is fresh, and a cache that lives longer than the bound is caught.
 */
export function refusedWithinRevocationBound(request: () => Promise<{ status: number }>, boundMs?: number): Promise<number> {
  const { status } = gateway().refused;
  return eventually(async () => (await request()).status === status, revocationDeadlineMs(boundMs));
}

/** The attributes of a Set-Cookie header, by lower-cased name (order and extra `Expires` vary by server). */
export function cookieAttributes(header: string | null): Record<string, string | true> {
  const [pair, ...attributes] = (header ?? '').split(/;\s*/);
  const result: Record<string, string | true> = { value: pair!.slice(pair!.indexOf('=') + 1) };
  for (const attribute of attributes) {
    const [name, value] = attribute.split('=');
    result[name!.toLowerCase()] = value ?? true;
  }
  return result;
}
