import type { Options } from 'tsup';

/** How every published package builds: ESM + CJS + .d.ts for Node 20. Packages add or override. */
export const libraryBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // `@internal` members (the engine's hooks for its own run objects, say) stay out of the
  // published types: users cannot depend on them, so they can change without a major release.
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'node20',
};
