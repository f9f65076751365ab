import { httpHandler } from '../lib/http';

/** GET /api/test/all */
export const handler = httpHandler(async () => ({ text: 'Public Content.' }));
