import { runtimePagingDeps } from '../../lib/account/deps';
import { eventsPage } from '../../lib/account/events';
import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';
import { pageQuerySchema, validate } from '../../lib/shared/validation';

config();

/** GET /api/auth/events?limit&cursor: the caller's security events, newest first. */
export const handler = httpHandler({ requires: 'signed-in' }, async (request, caller) => ({
  json: await eventsPage(await runtimePagingDeps(request), caller.userId, validate(pageQuerySchema, request.query)),
}));
