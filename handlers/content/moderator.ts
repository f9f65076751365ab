import { httpHandler, requireAuth } from '../../lib/http/handler';
import { requireRole } from '../../lib/shared/roles';

/** GET /api/test/mod */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'moderator');
  return { text: 'Moderator Content.' };
});
