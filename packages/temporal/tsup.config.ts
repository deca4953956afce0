import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
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
