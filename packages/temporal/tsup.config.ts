import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

export default defineConfig([
  {
    ...libraryBuild,
    // __dirname in ESM output (used to find the workflow file next to the entry).
    shims: true,
  },
  {
    // The workflow runs in Temporal's sandbox: a separate, self-contained file that the worker
    // bundles. It must not import Node modules or @cascadence/core.
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
