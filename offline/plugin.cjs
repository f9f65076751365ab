'use strict';
/**
 * Local-only serverless plugin: hands the resolved service (gateway responses, authorizer names,
 * ports) to offline/authorizer-emulation.cjs, which serverless-offline loads by path without it.
 * It registers no hooks and changes nothing in what `serverless package` or `deploy` produce.
 */
const state = require('./state.cjs');

class OfflineGatewayState {
  constructor(serverless, options) {
    state.serverless = serverless;
    state.options = options;
    this.hooks = {};
  }
}

module.exports = OfflineGatewayState;
