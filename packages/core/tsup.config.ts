import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// Two entries: the main API, and the sandbox-safe DAG semantics (`@cascadence/core/dag`) that the
// Temporal workflow bundle inlines.
export default defineConfig({ ...libraryBuild, entry: { index: 'src/index.ts', 'dag/index': 'src/dag/index.ts' } });
