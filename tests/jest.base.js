// Shared jest settings for every tier's config (tests/*/jest.config.js).
const path = require('node:path');

module.exports = {
  rootDir: path.join(__dirname, '..'),
  testEnvironment: 'node',
  transform: {
    // Transpile only: `npm run typecheck` (tsc --noEmit) does the type checking once for everything.
    '^.+\\.m?[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tests/tsconfig.json' }],
  },
  // jose 6, oauth2-mock-server 8 (`.mjs`; the local OpenID provider, scripts/oidc-dev.ts) and its is-plain-obj
  // are ESM-only: let ts-jest turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|oauth2-mock-server|is-plain-obj)/)'],
};
