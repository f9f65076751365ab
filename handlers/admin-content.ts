import { httpHandler, requireAuth } from '../lib/http';
import { requireRole } from '../lib/roles';

/** GET /api/test/admin */
export const handler = httpHandler(async (request) => {
  requireRole(requireAuth(request).roles, 'admin');
  return { text: 'Admin Content.' };
});
