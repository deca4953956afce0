// Tests run against a real Temporal dev server started once for all files (test/global-setup.ts).
module.exports = require('../../jest.base.cjs')(__dirname, {
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  setupFiles: ['<rootDir>/test/setup-runtime.ts'],
  testTimeout: 90_000,
  maxWorkers: 2,
});
