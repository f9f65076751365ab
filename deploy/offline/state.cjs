'use strict';
// Shared between deploy/offline/plugin.cjs and deploy/offline/authorizer-emulation.cjs (one module instance per process).
module.exports = { serverless: undefined, options: undefined };
