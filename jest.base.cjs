// Shared jest settings: TypeScript through @swc/jest (CommonJS mode); every package keeps its tests in test/.
const path = require('node:path');

module.exports = function jestConfig(dir, overrides = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.(t|j)sx?$': [
        require.resolve('@swc/jest'),
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
          module: { type: 'commonjs' },
        },
      ],
    },
    moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
    ...overrides,
  };
};
module.exports.repoRoot = path.resolve(__dirname);
