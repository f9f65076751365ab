module.exports = {
  ...require('../jest.base.js'),
  displayName: 'deploy',
  testMatch: ['<rootDir>/tests/deploy/**/*.test.ts'],
  testTimeout: 120_000,
};
