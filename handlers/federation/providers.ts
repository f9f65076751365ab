import { httpHandler } from '../../lib/http/handler';
import { config } from '../../lib/shared/config';

config();

/** GET /api/auth/oauth/providers: the providers a sign-in page offers, `{providers:[{id,name}]}`. */
export const handler = httpHandler(async () => ({ json: { providers: config().oidcProviders.map(({ id, name }) => ({ id, name })) } }));
