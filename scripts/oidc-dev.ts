/**
 * The local OpenID provider `dev` (issue 24) that `npm start` and the test stacks run in process, on
 * 127.0.0.1 over plain http: it signs in, with no form, the person named by the authorize request's
 * `login_hint` (an email). Development only: its client secret is a fixed value and it is never deployed.
 *
 * oauth2-mock-server does discovery, the JWKS, the RS256 key and signing, the authorize redirect (code and
 * state), its own PKCE check and the id token's nonce. What it leaves out is added here: in its hooks the
 * person from `login_hint` and their claims, PKCE S256 and this client_id as requirements, a userinfo for
 * that person, no refresh token; and in front of its token endpoint the
 * checks it does not make (the client's secret, a code used once, in time, with the same redirect_uri and
 * verifier), answered with the codes of RFC 6749 5.2 (it would answer `invalid_request` to a wrong verifier).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type MutableRedirectUri, type MutableResponse, type MutableToken, OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

export const DEV_PROVIDER_ID = 'dev';

export interface OidcDevProvider {
  /** `http://127.0.0.1:${port}` (loopback, plain http). */
  issuer: string;
  clientId: string;
  /** A fixed local value (dev only, never deployed). */
  clientSecret: string;
  /** Test hook: called with each id_token's claims (mutable) before signing; undefined = none. */
  tamperIdToken: ((claims: Record<string, unknown>) => void) | undefined;
  /** Authorization code lifetime in seconds (default 60); tests set it to make a code expire. */
  codeTtlSeconds: number;
  stop(): Promise<void>;
}

/** What an authorize request carried, kept under the code it was given until the code is redeemed. */
interface Grant {
  email: string;
  redirectUri: string;
  challenge: string;
  issuedAt: number;
}

interface Person {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
}

const CLIENT_ID = 'local-dev-client';
const CLIENT_SECRET = 'local-dev-secret';
const TOKEN_PATH = '/token';
const MAX_TOKEN_BODY = 16 * 1024;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The person `login_hint` names: a stable `sub` per email (case-insensitive), verified unless `+unverified`. */
function person(email: string): Person {
  const digest = createHash('sha256').update(email.toLowerCase()).digest('hex');
  return {
    sub: `dev-${digest.slice(0, 16)}`,
    email,
    email_verified: !email.includes('+unverified'),
    name: email.slice(0, email.indexOf('@')),
  };
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const sameSecret = (given: string, expected: string) =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

class TokenError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly code: string,
    description: string,
  ) {
    super(description);
    this.name = 'TokenError';
  }
}

/** The client's id and secret, from `Authorization: Basic` (RFC 6749 2.3.1: each form-urlencoded) or the body. */
function clientCredentials(req: IncomingMessage, body: URLSearchParams): { id: string; secret: string } {
  const header = req.headers.authorization;
  const inBody = body.has('client_secret');
  if (header !== undefined && inBody) throw new TokenError(400, 'invalid_request', 'Use one client authentication method.');
  if (header !== undefined) {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
    const pair = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon < 0) throw new TokenError(401, 'invalid_client', 'Malformed Basic credentials.');
    const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    try {
      return { id: decode(pair.slice(0, colon)), secret: decode(pair.slice(colon + 1)) };
    } catch {
      throw new TokenError(401, 'invalid_client', 'Malformed Basic credentials.');
    }
  }
  if (!inBody) throw new TokenError(401, 'invalid_client', 'Client authentication is required.');
  return { id: body.get('client_id') ?? '', secret: body.get('client_secret') ?? '' };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    throw new TokenError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded.');
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TOKEN_BODY) throw new TokenError(400, 'invalid_request', 'The body is too large.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function answerError(res: ServerResponse, error: TokenError): void {
  const body = JSON.stringify({ error: error.code, error_description: error.message });
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(error.status === 401 ? { 'www-authenticate': 'Basic realm="oidc-dev"' } : {}),
  });
  res.end(body);
}

/**
 * Starts the provider on 127.0.0.1:`port` with a new RS256 key. A port that is taken fails with Node's
 * listen error (code EADDRINUSE), so onFreePort (scripts/start-and-wait.ts) tries another.
 */
export async function startOidcDevProvider(options: { port: number }): Promise<OidcDevProvider> {
  const issuer = new OAuth2Issuer();
  // Set before the service answers: the library would otherwise name the issuer `http://localhost:port`.
  issuer.url = `http://127.0.0.1:${options.port}`;
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);
  const grants = new Map<string, Grant>();
  // The token requests that passed the checks below, and whom each signs in (for the library's hooks).
  const redeemed = new WeakMap<IncomingMessage, Person>();
  const accessTokens = new Map<string, { person: Person; expiresAt: number }>();

  service.on('beforeAuthorizeRedirect', (redirect: MutableRedirectUri, req: IncomingMessage) => {
    const params = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    const target = redirect.url.searchParams;
    const code = target.get('code');
    // No code: the library already answers with an error (a response_type other than `code`).
    if (code === null) return;
    const refuse = (error: string, description: string) => {
      target.delete('code');
      target.set('error', error);
      target.set('error_description', description);
    };
    const challenge = params.get('code_challenge');
    const loginHint = params.get('login_hint')?.trim();
    if (params.get('client_id') !== CLIENT_ID) return refuse('unauthorized_client', `The client_id must be ${CLIENT_ID}.`);
    // The library accepts a missing method as `plain`, and no challenge at all.
    if (params.get('code_challenge_method') !== 'S256' || !challenge) return refuse('invalid_request', 'PKCE with code_challenge_method=S256 is required.');
    if (!loginHint || !EMAIL.test(loginHint)) return refuse('login_required', 'Give the email to sign in as login_hint.');
    const now = Date.now();
    for (const [unused, grant] of grants) if (now - grant.issuedAt >= provider.codeTtlSeconds * 1000) grants.delete(unused);
    grants.set(code, {
      email: loginHint,
      redirectUri: params.get('redirect_uri') ?? '',
      challenge,
      issuedAt: now,
    });
  });

  service.on('beforeTokenSigning', (token: MutableToken, req: IncomingMessage) => {
    const signedIn = redeemed.get(req);
    if (signedIn === undefined) return;
    // The library builds the access token first, then the id token, the only one it gives an `aud`.
    if (!('aud' in token.payload)) {
      token.payload.sub = signedIn.sub;
      return;
    }
    // The nonce is the library's: it keeps the authorize request's under the code and puts it in the id token.
    Object.assign(token.payload, signedIn, { aud: CLIENT_ID });
    provider.tamperIdToken?.(token.payload);
  });

  service.on('beforeResponse', (response: MutableResponse, req: IncomingMessage) => {
    const signedIn = redeemed.get(req);
    if (signedIn === undefined || response.body === '' || typeof response.body.access_token !== 'string') return;
    // The library answers any refresh token; this provider offers none.
    delete response.body.refresh_token;
    const now = Date.now();
    for (const [token, entry] of accessTokens) if (entry.expiresAt <= now) accessTokens.delete(token);
    accessTokens.set(response.body.access_token, { person: signedIn, expiresAt: now + Number(response.body.expires_in) * 1000 });
  });

  // The library's userinfo answers `johndoe` to anyone; this one answers the access token's person.
  service.on('beforeUserinfo', (response: MutableResponse, req: IncomingMessage) => {
    const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const entry = bearer === undefined ? undefined : accessTokens.get(bearer);
    if (entry === undefined || entry.expiresAt <= Date.now()) {
      response.statusCode = 401;
      response.body = { error: 'invalid_token' };
      return;
    }
    response.body = { ...entry.person };
  });

  /** The checks the library's token endpoint does not make; only a request that passes them reaches it. */
  const checkTokenRequest = async (req: IncomingMessage): Promise<URLSearchParams> => {
    const body = await readForm(req);
    const client = clientCredentials(req, body);
    if (client.id !== CLIENT_ID || !sameSecret(client.secret, CLIENT_SECRET)) throw new TokenError(401, 'invalid_client', 'Unknown client or wrong secret.');
    if (body.get('grant_type') !== 'authorization_code') throw new TokenError(400, 'unsupported_grant_type', 'Only authorization_code is offered.');
    const code = body.get('code') ?? '';
    const grant = grants.get(code);
    // A code is good for one try: a wrong verifier or redirect_uri uses it up too.
    grants.delete(code);
    if (grant === undefined) throw new TokenError(400, 'invalid_grant', 'The code is unknown or was used already.');
    if (Date.now() - grant.issuedAt >= provider.codeTtlSeconds * 1000) throw new TokenError(400, 'invalid_grant', 'The code has expired.');
    if (body.get('redirect_uri') !== grant.redirectUri) throw new TokenError(400, 'invalid_grant', 'redirect_uri differs from the authorize request.');
    const verifier = body.get('code_verifier');
    if (verifier === null || s256(verifier) !== grant.challenge) throw new TokenError(400, 'invalid_grant', 'code_verifier does not match code_challenge.');
    redeemed.set(req, person(grant.email));
    return body;
  };

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== TOKEN_PATH) {
      service.requestHandler(req, res);
      return;
    }
    checkTokenRequest(req).then(
      (body) => {
        // The body is read: the library's parsers see the request finished and keep this one.
        (req as IncomingMessage & { body: unknown }).body = Object.fromEntries(body);
        service.requestHandler(req, res);
      },
      (error: unknown) => {
        if (error instanceof TokenError) answerError(res, error);
        else res.destroy(error instanceof Error ? error : undefined);
      },
    );
  });
  server.listen(options.port, '127.0.0.1');
  await once(server, 'listening');

  const provider: OidcDevProvider = {
    issuer: issuer.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    tamperIdToken: undefined,
    codeTtlSeconds: 60,
    stop: async () => {
      const closed = once(server, 'close');
      server.close();
      // Idle keep-alive connections would hold the port (and the close) open.
      server.closeAllConnections();
      await closed;
    },
  };
  return provider;
}
