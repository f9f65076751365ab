/**
 * Errors that know their HTTP status. Only errors below 500 reach the client with their message;
 * everything else becomes a fixed 500 body and the original goes to the log (see lib/http.ts).
 */
export class HttpError extends Error {
  /** Extra JSON fields the contract puts beside `message` (e.g. sign-in's `accessToken: null`). */
  readonly extraBody: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    message: string,
    options: { cause?: unknown; extraBody?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.extraBody = options.extraBody ?? {};
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'Unauthorized!', options?: { cause?: unknown; extraBody?: Record<string, unknown> }) {
    super(401, message, options);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(403, message, options);
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'Not found.') {
    super(404, message);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor() {
    super(415, 'Content-Type must be application/json.');
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(429, 'Too many sign-in attempts. Please try again later.', {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(options?: { cause?: unknown }) {
    super(503, 'Service temporarily unavailable. Please try again.', { ...options, headers: { 'Retry-After': '5' } });
  }
}

// Domain errors with the tutorial's exact messages.

export class UsernameTakenError extends BadRequestError {
  constructor() {
    super('Failed! Username is already in use!');
  }
}

export class EmailTakenError extends BadRequestError {
  constructor() {
    super('Failed! Email is already in use!');
  }
}

export class UnknownRoleError extends BadRequestError {
  constructor(role: string) {
    super(`Failed! Role does not exist = ${role}`);
  }
}

/** One answer for unknown user and wrong password alike, so sign-in reveals nothing. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor() {
    super('Invalid username or password!', { extraBody: { accessToken: null } });
  }
}

export class RefreshTokenError extends HttpError {
  static readonly messages = {
    missing: 'Refresh Token is required!',
    unknown: 'Refresh token is not in database!',
    expired: 'Refresh token was expired. Please make a new signin request',
    reused: 'Refresh token was already used. The session has been revoked. Please make a new signin request',
  } as const;

  constructor(readonly reason: keyof typeof RefreshTokenError.messages) {
    super(403, RefreshTokenError.messages[reason]);
  }
}

/** Why an access token was refused; the authorizer and the optional-auth routes map it to a 401 body. */
export class AccessTokenError extends UnauthorizedError {
  static readonly messages = {
    missing: 'No token provided!',
    expired: 'Unauthorized! Access Token was expired!',
    invalid: 'Unauthorized!',
  } as const;

  constructor(
    readonly reason: keyof typeof AccessTokenError.messages,
    options?: { cause?: unknown },
  ) {
    super(AccessTokenError.messages[reason], options);
  }
}
