import { defineConfig } from 'tsup';

// ESM only: the `task` binary and `main()` are ESM; commands.js is a separate entry that oclif
// imports (explicit command discovery), sharing chunks with index.js; fast-path.js is what the
// binary imports first (`task list` without oclif).
export default defineConfig({
  entry: ['src/index.ts', 'src/commands.ts', 'src/fast-path.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  splitting: true,
  target: 'node20',
});
