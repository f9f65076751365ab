// The unit and integration tiers as one jest run, for Stryker (npm run test:mutation): its jest runner
// instruments one config's test environment, so the tiers' own configs cannot be passed as `projects`.
const unit = require('../unit/jest.config.js');
const integration = require('../integration/jest.config.js');

module.exports = {
  ...require('../jest.base.js'),
  displayName: 'mutation',
  testMatch: [...unit.testMatch, ...integration.testMatch],
  // deadline.test.ts asserts wall time (< 1500 ms), which a mutation run on a loaded machine misses: the
  // dry run fails and Stryker stops. It guards lib/shared/deadline.ts, outside the mutated set.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/unit/deadline\\.test\\.ts$'],
  // The unit tier's environment defaults go to unit test files only (tests/mutation/setup.ts).
  setupFilesAfterEnv: ['<rootDir>/tests/mutation/setup.ts'],
  // One DynamoDB Local for the whole Stryker run when scripts/mutation.ts started it; else the integration tier's own.
  globalSetup: '<rootDir>/tests/mutation/global-setup.ts',
  globalTeardown: integration.globalTeardown, // stops only a database globalSetup started,
  testTimeout: integration.testTimeout,
};
