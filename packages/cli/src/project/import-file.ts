import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Imports a JavaScript or TypeScript module of the user's project. TypeScript is compiled with
 * esbuild (loaded only then) into `.cascadence/cache/`, inside the project, so its imports
 * resolve from the project's node_modules as they would from the source file.
 */
export async function importFile(file: string, projectDir: string): Promise<Record<string, unknown>> {
  const ext = extname(file);
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
    const stat = statSync(file);
    const key = createHash('sha256').update(`${file}:${stat.mtimeMs}:${stat.size}`).digest('hex').slice(0, 16);
    const cacheDir = join(projectDir, '.cascadence', 'cache');
    const out = join(cacheDir, `${key}.mjs`);
    let cached: boolean;
    try {
      cached = statSync(out).isFile();
    } catch {
      cached = false;
    }
    if (!cached) {
      mkdirSync(cacheDir, { recursive: true });
      const esbuild = await import('esbuild');
      await esbuild.build({
        entryPoints: [file],
        outfile: out,
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
      });
    }
    return (await import(pathToFileURL(out).href)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
