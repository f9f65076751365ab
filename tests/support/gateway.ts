import { MAX_BODY_BYTES } from '../../lib/http/request';
import { MESSAGES } from '../../lib/shared/messages';

/**
 * What the API Gateway in front of the functions answers by itself, per flavour (docs/design.md, "Choosing the API
 * flavour"): the one table the contract tests take those answers from. The e2e stack runs the flavour of
 * API_GATEWAY (deploy/config/api-flavour.cjs): `rest` for `npm run test:e2e`, `http` for `npm run test:e2e:http`.
 * Everything a function answers (roles, input, handler messages) is the same in both and is not here.
 */
export type Flavour = 'rest' | 'http';

export interface GatewayAnswer {
  status: number;
  json: { message: string };
  /** Headers the answer carries besides CORS, by lower-cased name. */
  headers: Record<string, string>;
}

export interface GatewayAnswers {
  /** A protected route without any credential. */
  noToken: GatewayAnswer;
  /** An expired access token. */
  expired: GatewayAnswer;
  /** Any other refused credential: forged, of the wrong kind, or of an ended session. */
  refused: GatewayAnswer;
  /** A path no route has, or a method its path does not have. */
  unknownRoute: GatewayAnswer;
  /** A body over API Gateway's 10 MB payload limit (the functions refuse far smaller ones themselves). */
  tooLarge: GatewayAnswer;
  /**
   * The CORS headers on an authorizer refusal for a request from `origin`, when the stage allows `allowed`
   * (the e2e stack: CORS_ORIGIN=http://localhost:8081).
   */
  refusalCors(origin: string, allowed: string): { origin: string | null; credentials: string | null };
}

const JSON_TYPE = { 'content-type': 'application/json' };

// REST API: the gateway responses of deploy/resources/gateway-responses.yml, with the tutorial's bodies.
const rest = (message: string, status = 401): GatewayAnswer => ({ status, json: { message }, headers: { ...JSON_TYPE, 'cache-control': 'no-store' } });

// HTTP API: its own fixed answers (deploy/offline/authorizer-emulation.cjs, HTTP_API, with AWS's pages).
const http = (status: number, message: string): GatewayAnswer => ({ status, json: { message }, headers: JSON_TYPE });

const ANSWERS: Record<Flavour, GatewayAnswers> = {
  rest: {
    noToken: rest('No token provided!'),
    expired: rest('Unauthorized! Access Token was expired!'),
    refused: rest('Unauthorized!'),
    // MISSING_AUTHENTICATION_TOKEN and REQUEST_TOO_LARGE: the functions' own messages.
    unknownRoute: rest(MESSAGES.notFound, 404),
    tooLarge: rest(MESSAGES.bodyTooLarge(MAX_BODY_BYTES), 413),
    // A gateway response's headers are static: the first configured origin, whoever asks.
    refusalCors: (_origin, allowed) => ({ origin: allowed, credentials: 'true' }),
  },
  http: {
    noToken: http(403, 'Forbidden'),
    expired: http(403, 'Forbidden'),
    refused: http(403, 'Forbidden'),
    unknownRoute: http(404, 'Not Found'),
    tooLarge: http(413, 'Request Entity Too Large'),
    // The API's CORS configuration: the caller's origin when it is configured, nothing otherwise.
    refusalCors: (origin, allowed) => (origin === allowed ? { origin, credentials: 'true' } : { origin: null, credentials: null }),
  },
};

/** The flavour under test, as the stack was started with it. */
export function flavour(): Flavour {
  const value = process.env.API_GATEWAY || 'rest';
  if (value !== 'rest' && value !== 'http') throw new Error(`API_GATEWAY must be rest or http, not "${value}"`);
  return value;
}

/** The flavour's own answers. */
export function gateway(): GatewayAnswers {
  return ANSWERS[flavour()];
}

/** `{ status, json }` of an answer, for toMatchObject and toEqual. */
export const statusAndBody = ({ status, json }: GatewayAnswer) => ({ status, json });
