'use strict';
/**
 * Local-only serverless plugin: hands the resolved service (gateway responses, authorizer names,
 * ports) to deploy/offline/authorizer-emulation.cjs, which serverless-offline loads by path without it,
 * guards serverless-offline's servers against web pages (deploy/offline/local-guard.cjs) before they start, and
 * builds the functions' events without the Content-Type serverless-offline adds (deploy/offline/event-fidelity.cjs).
 * It changes nothing in what `serverless package` or `deploy` produce.
 *
 * With `--useInProcess` (what `npm start` and the test stacks run: scripts/local-stack.ts) the functions
 * are built once and run in serverless-offline's own process, one module instance per function:
 * serverless-esbuild builds without incremental contexts and watches nothing, and its esbuild process is
 * stopped once the bundles are written, since an in-process function is never loaded again anyway (Node
 * caches the module). Without the flag (`npm start -- --watch`) serverless-esbuild and serverless-offline
 * behave as they always do: rebuilds on change, one worker thread per concurrent call.
 */
const path = require('node:path');
const state = require('./state.cjs');
const { installLocalGuards } = require('./local-guard.cjs');
const { installEventFidelity } = require('./event-fidelity.cjs');

class OfflineGatewayState {
  constructor(serverless, options) {
    state.serverless = serverless;
    state.options = options;
    const builtOnce = options.useInProcess === true;
    if (builtOnce) buildOnce(serverless);
    this.hooks = {
      'before:offline:start:init': () => {
        installLocalGuards();
        return installEventFidelity();
      },
      'before:offline:start': () => {
        installLocalGuards();
        return installEventFidelity();
      },
      // After serverless-esbuild's `before:` hooks (the build), before serverless-offline starts its servers.
      'offline:start:init': async () => {
        if (!builtOnce) return;
        await esbuildOfServerlessEsbuild().stop();
        shareNoOwnVariables(serverless);
      },
    };
  }
}

/** serverless-esbuild reads its options at `initialize`, after every plugin is constructed. */
function buildOnce(serverless) {
  const custom = serverless.service.custom ?? {};
  serverless.service.custom = custom;
  custom.esbuild = { ...custom.esbuild, skipRebuild: true, watch: { ...custom.esbuild?.watch, pattern: [] } };
}

function esbuildOfServerlessEsbuild() {
  const from = path.dirname(require.resolve('serverless-esbuild/package.json'));
  return require(require.resolve('esbuild', { paths: [from] }));
}

/**
 * In-process functions share one process.env, which serverless-offline assigns each function's variables
 * to before it runs: variables are added, never removed. A variable that some function is named on its own
 * (serverless.yml: the key parts' files and parameters) is therefore set empty for every function not named
 * it (the configuration reads an empty value as unset), so each still holds only its own key parts, as on
 * AWS and as in a worker thread of its own.
 */
function shareNoOwnVariables(serverless) {
  const definitions = Object.values(serverless.service.functions ?? {});
  const own = new Set(definitions.flatMap((definition) => Object.keys(definition.environment ?? {})));
  for (const definition of definitions) {
    const environment = { ...(definition.environment ?? {}) };
    for (const name of own) if (!(name in environment)) environment[name] = '';
    definition.environment = environment;
  }
}

module.exports = OfflineGatewayState;
