import { httpHandler } from '../../lib/http/handler';
import { CONTENT } from '../../lib/shared/messages';

/** GET /api/test/mod */
export const handler = httpHandler({ requires: 'moderator' }, async () => ({ text: CONTENT.moderator }));
