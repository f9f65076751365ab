'use strict';
// CORS_ORIGIN (comma-separated) for serverless.yml, which has no string split of its own.
// Parsed the same way as lib/config.ts parses it for the functions.
const origins = () =>
  (process.env.CORS_ORIGIN || 'http://localhost:8081')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');

module.exports = {
  origins,
  // Gateway responses carry one static Access-Control-Allow-Origin value: the first configured origin.
  firstOrigin: () => origins()[0],
};
