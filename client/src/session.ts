import type { components } from './schema';

type SignInResponse = components['schemas']['SignInResponse'];

/** The signed-in user, as the sign-in answer describes them (roles as `ROLE_USER`, …). */
export type SignedInUser = Pick<SignInResponse, 'id' | 'username' | 'email' | 'roles'>;

/**
 * A header-mode session: the tokens and when to refresh them. Times are milliseconds on the client's
 * clock (`now`); undefined when the token's lifetime is unknown (then only a refused call refreshes).
 */
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires. */
  expiresAt?: number | undefined;
  /** When to refresh it: `expiresAt` less the refresh margin. */
  refreshAt?: number | undefined;
  user: SignedInUser;
}

/** Where header mode keeps its session: in memory unless another storage is given. Sync or async. */
export interface SessionStorage {
  get(): StoredSession | null | Promise<StoredSession | null>;
  set(session: StoredSession | null): void | Promise<void>;
}

/** The default: the session lives as long as the page (nothing for another script to read later). */
export function memoryStorage(): SessionStorage {
  let session: StoredSession | null = null;
  return {
    get: () => session,
    set: (next) => {
      session = next;
    },
  };
}

/** What `webStorage` uses of the Web Storage API. */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * A Web Storage adapter (`sessionStorage`, `localStorage`): the session survives a reload, and any
 * script on the page can read it (XSS). Cookie mode keeps no token in the page at all.
 */
export function webStorage(storage: WebStorage, key = 'lambda-jwt-auth.session'): SessionStorage {
  return {
    get: () => {
      const text = storage.getItem(key);
      return text === null ? null : (JSON.parse(text) as StoredSession);
    },
    set: (session) => (session === null ? storage.removeItem(key) : storage.setItem(key, JSON.stringify(session))),
  };
}

/**
 * The session for tokens just received. The lifetime comes from the sign-in's `expiresIn` or, for a
 * refresh (which answers none), from the token's own `exp - iat`: both are the service's clock, so a
 * client clock that is off does not matter, only its pace. The margin is at most half the lifetime, so a
 * short-lived token is not refreshed on every call.
 */
export function sessionOf(
  tokens: { accessToken: string; refreshToken: string; expiresIn?: number | undefined },
  user: SignedInUser,
  now: number,
  marginMs: number,
): StoredSession {
  const lifetimeMs = tokens.expiresIn !== undefined ? tokens.expiresIn * 1000 : lifetimeOf(tokens.accessToken, now);
  if (lifetimeMs === undefined) return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, user };
  const expiresAt = now + lifetimeMs;
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt, refreshAt: expiresAt - Math.min(marginMs, lifetimeMs / 2), user };
}

/**
 * A JWT's remaining lifetime in milliseconds: `exp - iat`, or `exp` against the client's clock when the
 * token has no `iat`; undefined when it cannot be read. The client verifies nothing: it only schedules.
 */
function lifetimeOf(jwt: string, now: number): number | undefined {
  try {
    const payload = JSON.parse(base64UrlDecode(jwt.split('.')[1] ?? '')) as { exp?: unknown; iat?: unknown };
    if (typeof payload.exp !== 'number') return undefined;
    const lifetimeMs = typeof payload.iat === 'number' ? (payload.exp - payload.iat) * 1000 : payload.exp * 1000 - now;
    return lifetimeMs > 0 ? lifetimeMs : undefined;
  } catch {
    return undefined;
  }
}

function base64UrlDecode(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
