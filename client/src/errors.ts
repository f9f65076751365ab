/**
 * What the service refused, as one error type: the HTTP status and the service's `message` (every error
 * the service answers is JSON `{"message": …}`), or a social sign-in's refusal on the return page (`code`).
 * Network failures are not wrapped: they reject with fetch's own TypeError.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  /** The HTTP status of the answer (400, 401, 403, 429, …); 0 for a refusal the return page's fragment carried (see `code`). */
  readonly status: number;
  /** Seconds to wait before trying again, from `Retry-After` (429 and 503 answers). */
  readonly retryAfter: number | undefined;
  /** A social sign-in's error code from the return page (`account_exists`, `identity_in_use`, `signin_failed`, …); else undefined. */
  readonly code: string | undefined;

  constructor(status: number, message: string, options: { retryAfter?: number | undefined; code?: string | undefined; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.retryAfter = options.retryAfter;
    this.code = options.code;
  }
}

/** The error for an answer that is not a success; `body` is the answer's parsed body when already read. */
export async function authErrorOf(response: Response, body?: unknown): Promise<AuthError> {
  const parsed = body === undefined ? await response.json().catch(() => undefined) : body;
  const retryAfter = Number(response.headers.get('Retry-After') ?? Number.NaN);
  return new AuthError(response.status, messageOf(parsed) ?? `${response.status} ${response.statusText}`.trim(), {
    retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}

/** The `message` of an error body, when it has one. */
export function messageOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return body.message;
  return undefined;
}
