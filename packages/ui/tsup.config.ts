import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// The front end is plain JS and CSS served as they are (no bundler): copied beside the server
// build so `dist/web` ships in the tarball. `shims` gives the ESM build a `__dirname` to find it.
export default defineConfig({
  ...libraryBuild,
  shims: true,
  onSuccess: async () => {
    cpSync('src/web', 'dist/web', { recursive: true });
  },
});
