import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// The versions generated packages depend on, read from this repository now (see versions.cjs).
const { templateVersions } = createRequire(import.meta.url)('./versions.cjs') as { templateVersions: () => unknown };
const define = { __CREATE_CASCADENCE_VERSIONS__: JSON.stringify(templateVersions()) };

// Two builds run at once, so neither cleans: dist/ is emptied here, once.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

export default defineConfig([
  { ...libraryBuild, clean: false, define },
  {
    // The bin: ESM only, with its #! line.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    define,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
