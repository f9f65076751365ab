module.exports = {
  ...require('../jest.base.js'),
  displayName: 'unit',
  testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
  setupFiles: ['<rootDir>/tests/unit/env.ts'],
  // The client (client/src) is an ES module package: its relative imports name the `.js` file tsc emits.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // jose, oauth2-mock-server with its is-plain-obj (scripts/oidc-dev.ts), and the ESM-only packages
  // openapi-typescript loads (tests/unit/client/schema.test.ts), become CommonJS for jest; only a path's last
  // node_modules segment decides (they sit in nested node_modules).
  transformIgnorePatterns: [
    '/node_modules/(?!(jose|parse-json|index-to-position|change-case|supports-color|oauth2-mock-server|is-plain-obj)/)(?!.*/node_modules/)',
  ],
};
