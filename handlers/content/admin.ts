import { httpHandler, requireAuth } from '../../lib/http/handler';
import { requireRole } from '../../lib/shared/roles';

/** GET /api/test/admin */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  return { text: 'Admin Content.' };
});
