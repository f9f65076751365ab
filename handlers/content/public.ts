import { httpHandler } from '../../lib/http/handler';

/** GET /api/test/all */
export const handler = httpHandler(async () => ({ text: 'Public Content.' }));
