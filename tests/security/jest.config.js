// The security tier attacks the running service over HTTP (the e2e stack: DynamoDB Local +
// serverless-offline). Files run one at a time, so counts of stored users are not disturbed.
module.exports = {
  ...require('../jest.base.js'),
  displayName: 'security',
  testMatch: ['<rootDir>/tests/security/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/e2e/global-setup.ts',
  globalTeardown: '<rootDir>/tests/e2e/global-teardown.ts',
  testTimeout: 120_000,
  maxWorkers: 1,
};
