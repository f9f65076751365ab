import { MESSAGES } from './messages';

/**
 * Errors that know their HTTP status. Only errors below 500 reach the client with their message;
 * everything else becomes a fixed 500 body and the original goes to the log (see lib/http/response.ts).
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
  constructor(message: string = MESSAGES.accessToken.invalid, options?: { cause?: unknown; extraBody?: Record<string, unknown> }) {
    super(401, message, options);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(403, message, options);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
  }
}

/** The request is well-formed but the state forbids it (e.g. it would leave no admin). */
export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(maxBytes: number) {
    super(413, MESSAGES.bodyTooLarge(maxBytes));
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor() {
    super(415, MESSAGES.unsupportedMediaType);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(retryAfterSeconds: number, message: string = MESSAGES.tooManyAttempts) {
    super(429, message, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(options?: { cause?: unknown }) {
    super(503, MESSAGES.unavailable, { ...options, headers: { 'Retry-After': '5' } });
  }
}

// Domain errors with the tutorial's exact messages.

export class UsernameTakenError extends BadRequestError {
  constructor() {
    super(MESSAGES.usernameTaken);
  }
}

export class EmailTakenError extends BadRequestError {
  constructor() {
    super(MESSAGES.emailTaken);
  }
}

export class UnknownRoleError extends BadRequestError {
  constructor(role: string) {
    super(MESSAGES.unknownRole(role));
  }
}

/** One answer for unknown user and wrong password alike, so sign-in reveals nothing. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor() {
    super(MESSAGES.invalidCredentials, { extraBody: { accessToken: null } });
  }
}

export class RefreshTokenError extends HttpError {
  static readonly messages = MESSAGES.refreshToken;

  constructor(readonly reason: keyof typeof RefreshTokenError.messages) {
    super(403, RefreshTokenError.messages[reason]);
  }
}

/** Why an access token was refused; the authorizer and the optional-auth routes map it to a 401 body. */
export class AccessTokenError extends UnauthorizedError {
  static readonly messages = MESSAGES.accessToken;

  constructor(
    readonly reason: keyof typeof AccessTokenError.messages,
    options?: { cause?: unknown },
  ) {
    super(AccessTokenError.messages[reason], options);
  }
}
