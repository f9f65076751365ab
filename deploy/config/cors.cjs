'use strict';
/**
 * CORS_ORIGIN (comma-separated) for serverless.yml, which has no string split of its own. Parsed the
 * same way as lib/shared/config.ts parses it for the functions.
 *
 * The default, http://localhost:8081, is for the local stage only: a deployed stage that forgot to set
 * CORS_ORIGIN would otherwise answer a developer's localhost from production. Packaging or deploying
 * any stage but `local` without it fails.
 */
const LOCAL_DEFAULT = 'http://localhost:8081';

const origins = () =>
  (process.env.CORS_ORIGIN || LOCAL_DEFAULT)
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');

/** The origins for the stage being resolved; refuses a deployed stage without CORS_ORIGIN. */
async function stageOrigins({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  if (stage !== 'local' && !(process.env.CORS_ORIGIN || '').trim()) {
    throw new Error(
      `CORS_ORIGIN must be set to deploy stage "${stage}": the browser origin(s) of your front-end, comma-separated ` +
        `(e.g. CORS_ORIGIN=https://app.example.com). The ${LOCAL_DEFAULT} default is for the local stage only.`,
    );
  }
  return origins();
}

module.exports = {
  /** For the local emulation (deploy/offline/), which runs on the local stage only. */
  origins,
  /** The `cors.origins` list of every http event. */
  stageOrigins,
  /** CORS_ORIGIN as the functions read it (lib/shared/config.ts). */
  environment: async (context) => (await stageOrigins(context)).join(','),
  // Gateway responses carry one static Access-Control-Allow-Origin value: the first configured origin.
  firstOrigin: async (context) => (await stageOrigins(context))[0],
};
