import createClient, { type Client } from 'openapi-fetch';
import { AuthError, authErrorOf, messageOf } from './errors.js';
import type { components, paths } from './schema';
import { memoryStorage, type SessionStorage, type SignedInUser, type StoredSession, sessionOf } from './session.js';

type Schemas = components['schemas'];
export type SignUpRequest = Schemas['SignUpRequest'];
export type SignInRequest = Schemas['SignInRequest'];
/** The sign-in's second step: send one of `methods` with `verifyMfa`. The mfaToken lives 5 minutes. */
export type MfaChallenge = Pick<Schemas['MfaChallenge'], 'mfaToken' | 'methods'>;
/** A code from the authenticator app (a string, so leading zeros stay), or one of the recovery codes. */
export type MfaAnswer = { code: string } | { recoveryCode: string };
export type SignInResult = { status: 'signedIn'; user: SignedInUser } | { status: 'mfaRequired'; challenge: MfaChallenge };
export type Profile = paths['/api/auth/me']['get']['responses'][200]['content']['application/json'];
/** WebAuthn request options, as `navigator.credentials.get()` (after parsing) or `startAuthentication` take them. */
export type PasskeyRequestOptionsJSON = Omit<Schemas['PasskeyRequestOptions'], 'challengeId'>;
/**
 * What the browser step answers: WebAuthn's AuthenticationResponseJSON as the schema describes it, with
 * `clientExtensionResults` any object (WebAuthn libraries type it as an interface, which has no index
 * signature and so does not fit the schema's `Record<string, unknown>`; the JSON is the same).
 */
export type PasskeyAssertion = Omit<Schemas['PasskeyAuthenticationCredential'], 'clientExtensionResults'> & { clientExtensionResults?: object };
/** The browser's half of a passkey sign-in; `startAuthentication` of `@simplewebauthn/browser` fits as it is. */
export type AuthenticatePasskey = (options: { optionsJSON: PasskeyRequestOptionsJSON }) => Promise<PasskeyAssertion>;
/** An OpenID provider the service offers: `id` for `socialSignInUrl`, `name` for the button. */
export type SocialProvider = paths['/api/auth/oauth/providers']['get']['responses'][200]['content']['application/json']['providers'][number];
/** Where the social sign-in returns (`redirectUri`: one of the service's OAUTH_REDIRECT_URLS, exactly), and a hint for the provider. */
export interface SocialSignInOptions {
  redirectUri: string;
  /** The email to sign in as, passed to the provider as `login_hint` (the local `dev` provider signs it in). */
  loginHint?: string;
}
/** The return page's outcome: signed in or the MFA step (a sign-in), or linked (a link of `linkIdentity`). */
export type SocialSignInResult = SignInResult | { status: 'linked'; provider: string };
/** A provider identity linked to the signed-in user. */
export type LinkedIdentity = paths['/api/auth/identities']['get']['responses'][200]['content']['application/json']['identities'][number];
/** Why the client is signed out now: the caller asked, or the service ended the session (its message). */
export type SignedOut = { reason: 'signOut' } | { reason: 'sessionEnded'; message: string };

export interface AuthClientOptions {
  /** The service's origin (and stage path, if any), e.g. `http://localhost:8080`. */
  baseUrl: string;
  /**
   * `cookie`: the service's HttpOnly session cookie carries the session (`credentials: 'include'` on every
   * request; the page holds no token). `header`: the client keeps the tokens and sends `Authorization:
   * Bearer`, refreshing them as they near expiry; sends no cookie.
   */
  mode: 'cookie' | 'header';
  /** The network; `globalThis.fetch` by default. It is always called with one `Request`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Header mode only: where the tokens live (default: memory). See `webStorage`. */
  storage?: SessionStorage;
  /** The clock, in milliseconds (default `Date.now`): when to refresh. */
  now?: () => number;
  /** Header mode: refresh this long before the access token expires (default 60; at most half its lifetime). */
  refreshMarginSeconds?: number;
  /** The browser's passkey step for `signInWithPasskey`, e.g. `startAuthentication` of `@simplewebauthn/browser`. */
  authenticatePasskey?: AuthenticatePasskey;
  /** Other origins of the app's own API that `fetch` may send the token or cookie to; `baseUrl`'s origin always. */
  apiOrigins?: string[];
}

export interface AuthClient {
  readonly mode: 'cookie' | 'header';
  /** Every route of docs/openapi.yaml, typed (openapi-fetch), authenticated like `fetch`. */
  readonly api: Client<paths>;
  /** POST /api/auth/signup, anonymous (an admin granting roles uses `api.POST('/api/auth/signup', …)`). */
  signUp(body: SignUpRequest): Promise<{ message: string }>;
  /** Password sign-in (the username or the account's email): signed in, or the MFA step to complete with `verifyMfa`. */
  signIn(credentials: SignInRequest): Promise<SignInResult>;
  /** The MFA step: a TOTP code or a recovery code for the challenge `signIn` or `signInWithPasskey` answered. */
  verifyMfa(challenge: MfaChallenge, answer: MfaAnswer): Promise<SignedInUser>;
  /** Usernameless passkey sign-in: options, the browser's authenticator, verify. May answer the MFA step. */
  signInWithPasskey(authenticate?: AuthenticatePasskey): Promise<SignInResult>;
  /** GET /api/auth/oauth/providers: the OpenID providers to offer, in the service's order. */
  providers(): Promise<SocialProvider[]>;
  /**
   * The URL that starts a social sign-in. Send the browser there top-level (`location.assign(url)`), not
   * with fetch: the service sets its browser-binding cookie and redirects to the provider, which returns
   * to `redirectUri` with the outcome in the fragment, for `completeSocialSignIn`.
   */
  socialSignInUrl(providerId: string, options: SocialSignInOptions): string;
  /**
   * On the return page: the fragment's outcome. `#code=…` is exchanged (POST /api/auth/oauth/token) for a
   * sign-in like `signIn`'s (signed in, or the MFA step); `#linked=…` answers the linked provider;
   * `#error=…&message=…` throws an AuthError with that `code` and `message` (status 0). Anything else is
   * refused without a request. The page should then drop the fragment (`history.replaceState`).
   */
  completeSocialSignIn(fragment?: string): Promise<SocialSignInResult>;
  /**
   * Start linking a provider to the signed-in user: the password (none for an account without one, signed
   * in within 5 minutes). Answers the URL to send the browser to; it returns to `redirectUri` with `#linked=…`.
   */
  linkIdentity(providerId: string, options: { password?: string; redirectUri: string }): Promise<{ url: string }>;
  /** GET /api/auth/identities: the signed-in user's linked identities, oldest first. */
  identities(): Promise<LinkedIdentity[]>;
  /** DELETE /api/auth/identities/{provider}; refused (409) when it is the last way to sign in. */
  unlinkIdentity(providerId: string): Promise<{ message: string }>;
  /**
   * Header mode: exchange the refresh token now. Single-flight: callers that overlap share one request and
   * its result. Rejects with the service's 403 (the session has ended: the client is then signed out).
   * Cookie mode: nothing to do (the cookie lives as long as the session), no request.
   */
  refresh(): Promise<void>;
  /** End this session, or with `everywhere` every session of the user; the client forgets it either way. */
  signOut(options?: { everywhere?: boolean }): Promise<void>;
  /** GET /api/auth/me. */
  me(): Promise<Profile>;
  /**
   * `fetch` for the app's own calls: the token (header mode) or the cookie (cookie mode) goes with it. A
   * path starting with `/` is relative to `baseUrl`. Header mode refreshes a token about to expire first,
   * and after a refused token refreshes once and retries once.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Header mode: a fresh access token (refreshed if due), or null when signed out. Cookie mode: null. */
  getAccessToken(): Promise<string | null>;
  /** The signed-in user as this client knows it (cookie mode: since the last sign-in in this page), or null. */
  getSession(): Promise<{ user: SignedInUser } | null>;
  /** Called when the client becomes signed out (its own sign-out, or the service ended the session). Returns an unsubscribe. */
  onSignedOut(listener: (event: SignedOut) => void): () => void;
}

/**
 * 401 answers that are a credential check of the request itself (a wrong current password, a sign-in too
 * old to link a provider), not a refused session: retrying them would count a wrong password twice
 * against the sign-in lockout, and a refresh does not make a sign-in recent.
 */
const CREDENTIAL_CHECKS = new Set([
  'Current password is incorrect!',
  'Invalid username or password!',
  'Invalid code!',
  'Please sign in again to link a provider.',
]);

/** The one entry point: a client for one service, in cookie or header mode. */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  const { mode } = options;
  if (mode === 'cookie' && options.storage) throw new Error('cookie mode keeps no token: leave out `storage`');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const now = options.now ?? Date.now;
  const marginMs = (options.refreshMarginSeconds ?? 60) * 1000;
  const storage = options.storage ?? memoryStorage();
  const ownOrigins = new Set([baseUrl, ...(options.apiOrigins ?? [])].map((url) => new URL(url).origin));
  const credentials: Request['credentials'] = mode === 'cookie' ? 'include' : 'omit';
  const listeners = new Set<(event: SignedOut) => void>();

  // Bumped whenever a session starts or ends, so that a refresh answered afterwards cannot bring back
  // the session it was started for.
  let generation = 0;
  let refreshing: Promise<StoredSession> | null = null;
  // Cookie mode: the user of the page's last sign-in; undefined until the page knows (a reload).
  let cookieUser: SignedInUser | null | undefined;

  // Sign-in, refresh, MFA and passkey steps need no session; `api` sends the caller's.
  const publicApi = createClient<paths>({ baseUrl, credentials, fetch: send });
  const api = createClient<paths>({ baseUrl, credentials, fetch: authorizedFetch });

  async function authorizedFetch(request: Request): Promise<Response> {
    const origin = new URL(request.url).origin;
    if (!ownOrigins.has(origin)) throw new Error(`${origin} is not this API's origin: add it to apiOrigins to send it credentials`);
    if (mode === 'cookie') {
      const response = await send(request);
      if (await refusesSession(response)) await endSession({ reason: 'sessionEnded', message: await messageFrom(response) });
      return response;
    }
    const retry = request.clone();
    const session = await currentSession();
    const response = await send(withToken(request, session));
    if (session === null || !(await refusesSession(response))) return response;
    // At most one refresh and one retry; if the refresh fails, the caller gets the first answer.
    const renewed = await renewedAfter(session).catch(() => null);
    return renewed === null ? response : send(withToken(retry, renewed));
  }

  function withToken(request: Request, session: StoredSession | null): Request {
    if (session === null) return request;
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${session.accessToken}`);
    return new Request(request, { headers });
  }

  /** The session to send, refreshed first when it is due (proactive). */
  async function currentSession(): Promise<StoredSession | null> {
    const session = await storage.get();
    if (session === null || session.refreshAt === undefined || now() < session.refreshAt) return session;
    try {
      return await refreshSession();
    } catch (error) {
      if (error instanceof AuthError && error.status === 403) return null;
      // The service could not refresh (503, network): the token still works until it expires.
      if (session.expiresAt !== undefined && now() < session.expiresAt) return session;
      throw error;
    }
  }

  /** After the token `sent` was refused: the session another caller refreshed meanwhile, or a refresh. */
  async function renewedAfter(sent: StoredSession): Promise<StoredSession | null> {
    const current = await storage.get();
    if (current === null) return null;
    return current.accessToken === sent.accessToken ? refreshSession() : current;
  }

  /** Single-flight: concurrent refreshes of one refresh token are reuse, which ends the session. */
  function refreshSession(): Promise<StoredSession> {
    refreshing ??= exchangeRefreshToken().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function exchangeRefreshToken(): Promise<StoredSession> {
    const started = generation;
    const session = await storage.get();
    // What the service would answer, without asking it.
    if (session === null) throw new AuthError(403, 'Refresh Token is required!');
    const { data, error, response } = await publicApi.POST('/api/auth/refreshtoken', { body: { refreshToken: session.refreshToken } });
    if (!response.ok || data === undefined) {
      const failure = await authErrorOf(response, error);
      if (failure.status === 403 && started === generation) await endSession({ reason: 'sessionEnded', message: failure.message });
      throw failure;
    }
    if (started !== generation) {
      // Signed in anew while this refresh was under way: the new session wins.
      const current = await storage.get();
      if (current === null) throw new AuthError(403, 'Refresh Token is required!');
      return current;
    }
    const next = sessionOf(data, session.user, now(), marginMs);
    await storage.set(next);
    return next;
  }

  /** The answer refuses the session itself (401, or the HTTP API's 403 `Forbidden`), not one request. */
  async function refusesSession(response: Response): Promise<boolean> {
    if (response.status !== 401 && response.status !== 403) return false;
    const message = await messageFrom(response);
    return response.status === 401 ? !CREDENTIAL_CHECKS.has(message) : message === 'Forbidden';
  }

  async function messageFrom(response: Response): Promise<string> {
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined);
    return messageOf(body) ?? '';
  }

  async function startSession(body: Schemas['SignInResponse']): Promise<SignedInUser> {
    const user: SignedInUser = { id: body.id, username: body.username, email: body.email, roles: body.roles };
    generation += 1;
    if (mode === 'header') await storage.set(sessionOf(body, user, now(), marginMs));
    else cookieUser = user;
    return user;
  }

  async function endSession(event: SignedOut): Promise<void> {
    generation += 1;
    const wasSignedIn = mode === 'header' ? (await storage.get()) !== null : cookieUser !== null;
    if (mode === 'header') await storage.set(null);
    cookieUser = null;
    if (wasSignedIn) for (const listener of listeners) listener(event);
  }

  /** Every way of signing in ends here: the password, passkeys and social sign-in's code (the MFA step's own is `verifyMfa`). */
  async function signInResult(body: Schemas['SignInResponse'] | Schemas['MfaChallenge']): Promise<SignInResult> {
    if ('mfaRequired' in body) return { status: 'mfaRequired', challenge: { mfaToken: body.mfaToken, methods: body.methods } };
    return { status: 'signedIn', user: await startSession(body) };
  }

  return {
    mode,
    api,

    async signUp(body) {
      return ok(await publicApi.POST('/api/auth/signup', { body }));
    },

    async signIn(credentials) {
      return signInResult(await ok(await publicApi.POST('/api/auth/signin', { body: credentials })));
    },

    async verifyMfa(challenge, answer) {
      return startSession(await ok(await publicApi.POST('/api/auth/mfa/verify', { body: { mfaToken: challenge.mfaToken, ...answer } })));
    },

    async signInWithPasskey(authenticate = options.authenticatePasskey) {
      if (!authenticate)
        throw new Error('signInWithPasskey needs the browser step: pass authenticatePasskey (e.g. startAuthentication of @simplewebauthn/browser)');
      const { challengeId, ...optionsJSON } = await ok(await publicApi.POST('/api/auth/passkeys/signin/options'));
      const response = (await authenticate({ optionsJSON })) as Schemas['PasskeyAuthenticationCredential'];
      return signInResult(await ok(await publicApi.POST('/api/auth/passkeys/signin/verify', { body: { challengeId, response } })));
    },

    async providers() {
      return (await ok(await publicApi.GET('/api/auth/oauth/providers'))).providers;
    },

    socialSignInUrl(providerId, { redirectUri, loginHint }) {
      const query: paths['/api/auth/oauth/{provider}/authorize']['get']['parameters']['query'] = { redirect_uri: redirectUri };
      if (loginHint !== undefined) query.login_hint = loginHint;
      return `${baseUrl}/api/auth/oauth/${encodeURIComponent(providerId)}/authorize?${new URLSearchParams(query)}`;
    },

    async completeSocialSignIn(fragment = currentFragment()) {
      const outcome = new URLSearchParams(fragment.replace(/^#/, ''));
      const [error, code, linked] = [outcome.get('error'), outcome.get('code'), outcome.get('linked')];
      if (error !== null) throw new AuthError(0, outcome.get('message') ?? error, { code: error });
      if (code !== null) return signInResult(await ok(await publicApi.POST('/api/auth/oauth/token', { body: { code } })));
      if (linked !== null) return { status: 'linked', provider: linked };
      throw new Error('completeSocialSignIn: the fragment has no code, error or linked: call it on the social sign-in return page');
    },

    async linkIdentity(providerId, { password, redirectUri }) {
      // No password: the field is left out of the JSON (an account without one).
      const body = { password, redirect_uri: redirectUri };
      return ok(await api.POST('/api/auth/identities/{provider}/link', { params: { path: { provider: providerId } }, body }));
    },

    async identities() {
      return (await ok(await api.GET('/api/auth/identities'))).identities;
    },

    async unlinkIdentity(providerId) {
      return ok(await api.DELETE('/api/auth/identities/{provider}', { params: { path: { provider: providerId } } }));
    },

    async refresh() {
      if (mode === 'header') await refreshSession();
    },

    async signOut({ everywhere = false } = {}) {
      if (everywhere) {
        // Needs the session itself (token or cookie); on failure the session is kept, to try again.
        await ok(await api.POST('/api/auth/signout', { body: { all: true } }));
        await endSession({ reason: 'signOut' });
        return;
      }
      if (mode === 'cookie') {
        try {
          // `{}` and the cookie: the service ends the cookie's session and clears the cookie.
          await ok(await publicApi.POST('/api/auth/signout', { body: {} }));
        } finally {
          await endSession({ reason: 'signOut' });
        }
        return;
      }
      // A refresh under way is let finish: signing out with the token it is spending would be reuse.
      await refreshing?.catch(() => undefined);
      const session = await storage.get();
      await endSession({ reason: 'signOut' });
      if (session === null) return;
      const { error, response } = await publicApi.POST('/api/auth/signout', { body: { refreshToken: session.refreshToken } });
      // 403: the refresh token was dead already, which is what signing out wants.
      if (!response.ok && response.status !== 403) throw await authErrorOf(response, error);
    },

    async me() {
      return ok(await api.GET('/api/auth/me'));
    },

    fetch(input, init) {
      const request = new Request(typeof input === 'string' && input.startsWith('/') ? baseUrl + input : input, init);
      return authorizedFetch(mode === 'cookie' ? new Request(request, { credentials: 'include' }) : request);
    },

    async getAccessToken() {
      if (mode === 'cookie') return null;
      return (await currentSession())?.accessToken ?? null;
    },

    async getSession() {
      const user = mode === 'header' ? (await storage.get())?.user : cookieUser;
      return user ? { user } : null;
    },

    onSignedOut(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The page's fragment (`location.hash`); the page's own, so it needs a page. */
function currentFragment(): string {
  const { location } = globalThis as { location?: { hash: string } };
  if (location === undefined) throw new Error('completeSocialSignIn: no page here (no location): pass the fragment');
  return location.hash;
}

/** The data of a successful openapi-fetch call, or the AuthError of its answer. */
async function ok<T>(result: { data?: T; error?: unknown; response: Response }): Promise<T> {
  if (!result.response.ok || result.data === undefined) throw await authErrorOf(result.response, result.error);
  return result.data;
}
