// Browser tier: headless Chromium (Debian's `chromium`) driven by playwright-core against the service on
// serverless-offline, from small client pages served on a second origin. One file, one flow at a time.
module.exports = {
  ...require('../jest.base.js'),
  displayName: 'browser',
  testMatch: ['<rootDir>/tests/browser/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/browser/global-setup.ts',
  globalTeardown: '<rootDir>/tests/browser/global-teardown.ts',
  testTimeout: 120_000,
};
