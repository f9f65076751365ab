import { httpHandler } from '../../lib/http/handler';
import { CONTENT } from '../../lib/shared/messages';

/** GET /api/test/all */
export const handler = httpHandler(async () => ({ text: CONTENT.public }));
