module.exports = {
  ...require('../jest.base.js'),
  displayName: 'walkthrough',
  testMatch: ['<rootDir>/tests/walkthrough/**/*.test.ts'],
  // One npm start (up to a few minutes on a loaded two-core machine) and the walkthrough (~10 s).
  testTimeout: 360_000,
};
