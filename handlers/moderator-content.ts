import { httpHandler, requireAuth } from '../lib/http';
import { requireRole } from '../lib/roles';

/** GET /api/test/mod */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'moderator');
  return { text: 'Moderator Content.' };
});
