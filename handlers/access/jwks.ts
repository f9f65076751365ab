import { httpHandler } from '../../lib/http/handler';
import { publicKeys } from '../../lib/access/keys';

/** GET /.well-known/jwks.json: the public keys, so other services can verify our access tokens. */
export const handler = httpHandler(async (request) => ({
  json: (await request.deadline.race(publicKeys())).jwks,
  // Public and slow-changing; a short cache still lets a rotated key appear within minutes.
  headers: { 'Cache-Control': 'public, max-age=300' },
}));
