import { ServiceUnavailableError } from './errors';

/**
 * The most a request may spend waiting on infrastructure (DynamoDB, SSM), and the margin kept back from
 * the Lambda's own remaining time. A database that hangs must become a 503 well inside API Gateway's
 * and Lambda's limits, however many calls a request makes: one budget for the whole request, not one
 * per call (per-call timeouts add up: three SDK calls of ~3 s each already pass a 10 s Lambda timeout).
 */
export const MAX_REQUEST_BUDGET_MS = 2000;
export const LAMBDA_MARGIN_MS = 500;

export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
  constructor() {
    super('request deadline exceeded');
  }
}

/**
 * One deadline per request. Its `signal` is passed to every SDK call and fetch, so sockets are torn down
 * when it passes; `race` backs that with a timer of its own, so the bound never depends on the abort
 * reaching the socket (undici follows a Request's signal only through a weak reference, which garbage
 * collection can drop: nodejs/undici#4068).
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;

  private constructor(
    /** Epoch milliseconds after which no more infrastructure calls are waited for. */
    readonly atMs: number,
  ) {
    this.#timer = setTimeout(() => this.#controller.abort(new DeadlineExceededError()), Math.max(0, atMs - Date.now()));
    this.#timer.unref();
  }

  /**
   * A deadline for a request: at most MAX_REQUEST_BUDGET_MS from now, and never later than the Lambda's
   * remaining time less LAMBDA_MARGIN_MS (when a context says how much remains).
   */
  static forRequest(remainingMs?: number, budgetMs = MAX_REQUEST_BUDGET_MS): Deadline {
    const budget = remainingMs === undefined ? budgetMs : Math.min(budgetMs, remainingMs - LAMBDA_MARGIN_MS);
    return new Deadline(Date.now() + Math.max(0, budget));
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.atMs - Date.now());
  }

  /**
   * Waits for `work` until the deadline; then rejects with a 503 whether or not the work noticed the
   * abort. The work's own late failure is swallowed (nobody waits for it any more).
   */
  async race<T>(work: Promise<T>): Promise<T> {
    if (this.remainingMs() === 0) {
      work.catch(() => undefined);
      throw new ServiceUnavailableError({ cause: new DeadlineExceededError() });
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ServiceUnavailableError({ cause: new DeadlineExceededError() })), this.remainingMs());
    });
    try {
      return await Promise.race([work, expired]);
    } catch (error) {
      // The work noticed the abort first: the same answer as the timer's.
      if (this.#controller.signal.aborted && !(error instanceof ServiceUnavailableError)) throw new ServiceUnavailableError({ cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }

  /** Ends the request: aborts whatever is still in flight and frees the timer. */
  dispose(): void {
    clearTimeout(this.#timer);
    if (!this.#controller.signal.aborted) this.#controller.abort(new DeadlineExceededError());
  }
}
