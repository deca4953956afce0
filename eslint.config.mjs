// One lint for the whole repository (`pnpm lint`, run by `pnpm run ci`): ESLint's and
// typescript-eslint's recommended rules, plus the few this codebase has been bitten by.
// Formatting is Prettier's job (`.prettierrc.json`), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.turbo/**',
      '**/coverage/**',
      '**/*.d.ts',
      // Committed Temporal histories and generated files.
      '**/fixtures/**',
      'packages/*/api/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Listener and plugin signatures are deliberately loose in places; each use is reviewed.
      '@typescript-eslint/no-explicit-any': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A closure that reads a variable before its one assignment (a query handler, say) is fine.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Terminal safety: ANSI escapes and control characters are matched on purpose.
      'no-control-regex': 'off',
      'no-console': 'off',
    },
  },
  {
    // CommonJS files (jest configs, preloads).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests load some modules lazily or as the worker process would (CommonJS fixtures).
    files: ['**/test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Type tests declare values only to inspect their types.
    files: ['**/test-d/**'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    // The dashboard's front end runs in the browser.
    files: ['packages/ui/src/web/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
