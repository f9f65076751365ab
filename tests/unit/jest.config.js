module.exports = { ...require('../jest.base.js'), displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] };
