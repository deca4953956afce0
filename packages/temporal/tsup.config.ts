import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

export default defineConfig([
  {
    ...libraryBuild,
    // The API, and test tooling at `@cascadence/temporal/testing`.
    entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
    // __dirname in ESM output (used to find the workflow file next to the entry).
    shims: true,
  },
  {
    // The workflow runs in Temporal's sandbox: a separate file that the worker bundles. It imports
    // only @temporalio/workflow and @cascadence/core/dag (left external, resolved at bundle time).
    entry: { workflow: 'src/workflow.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    external: ['@temporalio/workflow'],
  },
]);
