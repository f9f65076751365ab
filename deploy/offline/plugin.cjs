'use strict';
/**
 * Local-only serverless plugin: hands the resolved service (gateway responses, authorizer names,
 * ports) to deploy/offline/authorizer-emulation.cjs, which serverless-offline loads by path without it, and
 * guards serverless-offline's servers against web pages (deploy/offline/local-guard.cjs) before they start.
 * It changes nothing in what `serverless package` or `deploy` produce.
 */
const state = require('./state.cjs');
const { installLocalGuards } = require('./local-guard.cjs');

class OfflineGatewayState {
  constructor(serverless, options) {
    state.serverless = serverless;
    state.options = options;
    this.hooks = {
      'before:offline:start:init': () => installLocalGuards(),
      'before:offline:start': () => installLocalGuards(),
    };
  }
}

module.exports = OfflineGatewayState;
