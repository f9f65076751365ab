'use strict';
// Shared between offline/plugin.cjs and offline/authorizer-emulation.cjs (one module instance per process).
module.exports = { serverless: undefined, options: undefined };
