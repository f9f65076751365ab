import { httpHandler } from '../../lib/http/handler';
import { runtimePasskeyDeps } from '../../lib/passkeys/deps';
import { signInOptions } from '../../lib/passkeys/sign-in';
import { config } from '../../lib/shared/config';

config();

/** POST /api/auth/passkeys/signin/options: options for `navigator.credentials.get()` and their `challengeId`. */
export const handler = httpHandler(async (request) => ({ json: await signInOptions(runtimePasskeyDeps(request)) }));
