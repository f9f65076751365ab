import { httpHandler } from '../../lib/http/handler';
import { CONTENT } from '../../lib/shared/messages';

/** GET /api/test/admin */
export const handler = httpHandler({ requires: 'admin' }, async () => ({ text: CONTENT.admin }));
