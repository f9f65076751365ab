import { Secret, TOTP } from 'otpauth';
import { type ApiResponse, apiFrom } from '../api';
import { Mismatch } from './state';

/** The service's one allowed origin in the test stack (CSRF check for cookie-authenticated POSTs). */
export const ALLOWED_ORIGIN = 'http://localhost:8081';

export interface Auth {
  token?: string;
  cookie?: string;
}

/**
 * One request from `ip`. Every answer is checked for the invariant that holds for all of them: no
 * operation answers 5xx (a 503 is the 2 s request deadline: the run keeps its concurrency low enough
 * that a 2-core machine does not meet it, so one is a failure here too).
 */
export async function call(ip: string, method: string, path: string, body?: unknown, auth: Auth = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (auth.token) headers['x-access-token'] = auth.token;
  if (auth.cookie) Object.assign(headers, { cookie: auth.cookie, origin: ALLOWED_ORIGIN });
  const response = await apiFrom(ip, method, path, body, headers);
  if (response.status >= 500) throw new Mismatch(`no operation answers 5xx: ${method} ${path} answered ${response.status} ${response.text.slice(0, 200)}`);
  return response;
}

/** The claims of a JWT, unverified: the test reads what the service put in it. */
export function claimsOf(token: string): { sub: string; sid: string; roles: string[]; amr?: string[]; jti?: string } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    sub: string;
    sid: string;
    roles: string[];
    amr?: string[];
    jti?: string;
  };
}

/** The session cookie (`jwt_session=…`) a sign-in set. */
export function sessionCookie(response: ApiResponse): string {
  const match = /^jwt_session=([^;]+)/.exec(response.headers.get('set-cookie') ?? '');
  if (!match) throw new Mismatch(`sign-in set no session cookie (${response.headers.get('set-cookie')})`);
  return `jwt_session=${match[1]}`;
}

const STEP_MS = 30_000;
export const currentStep = () => Math.floor(Date.now() / STEP_MS);

/** The RFC 6238 code of one time step, computed from the secret as an authenticator app does. */
export const totpCode = (secret: string, step: number) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: step * STEP_MS });

/**
 * A time step the service will accept after `lastStep` (codes are single use, later steps only, one
 * step of skew), or undefined when the next one is still two steps away: then a recovery code is used.
 * Never the previous step: the service's clock may tick between here and its check.
 */
export function usableStep(lastStep: number): number | undefined {
  const now = currentStep();
  const step = Math.max(now, lastStep + 1);
  return step <= now + 1 ? step : undefined;
}
