import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// Three entries: the main API, the sandbox-safe DAG semantics (`@cascadence/core/dag`) that the
// Temporal workflow bundle inlines, and the Node-only file lock and atomic write (`@cascadence/core/files`).
export default defineConfig({
  ...libraryBuild,
  entry: { index: 'src/index.ts', 'dag/index': 'src/dag/index.ts', 'files/index': 'src/files/index.ts' },
});
