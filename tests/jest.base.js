// Shared jest settings for every tier's config (tests/*/jest.config.js).
const path = require('node:path');

module.exports = {
  rootDir: path.join(__dirname, '..'),
  testEnvironment: 'node',
  transform: {
    // Transpile only: `npm run typecheck` (tsc --noEmit) does the type checking once for everything.
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tests/tsconfig.json' }],
  },
  // jose 6 is ESM-only: let ts-jest turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
