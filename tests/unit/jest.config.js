module.exports = {
  ...require('../jest.base.js'),
  displayName: 'unit',
  testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
  setupFiles: ['<rootDir>/tests/unit/env.ts'],
};
