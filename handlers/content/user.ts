import { httpHandler } from '../../lib/http/handler';
import { CONTENT } from '../../lib/shared/messages';

/** GET /api/test/user: any signed-in user. */
export const handler = httpHandler({ requires: 'signed-in' }, async () => ({ text: CONTENT.user }));
