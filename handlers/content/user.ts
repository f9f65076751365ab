import { httpHandler, requireAuth } from '../../lib/http/handler';

/** GET /api/test/user: any signed-in user. */
export const handler = httpHandler(async (request) => {
  requireAuth(request);
  return { text: 'User Content.' };
});
