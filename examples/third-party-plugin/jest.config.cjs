// Standalone on purpose (no ../../jest.base.cjs): this package is meant to be copied out of the
// repository as the starting point of a plugin. TypeScript tests run through @swc/jest as CommonJS.
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
};
