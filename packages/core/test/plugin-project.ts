import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The built core, as a plugin in a user's project would get it. */
export const coreDir = resolve(__dirname, '..');

export interface FakePackage {
  name: string;
  version?: string;
  /** The `cascadence` manifest; omit for a package without one. */
  manifest?: Record<string, unknown>;
  type?: 'module' | 'commonjs';
  /** Entry file name and source. */
  main?: string;
  source: string;
  exports?: unknown;
  /** Lay it out like pnpm: real folder under node_modules/.pnpm, symlink at node_modules/<name>. */
  pnpmLayout?: boolean;
}

/** A real project folder in the temp dir with real packages in node_modules. */
export class TempProject {
  readonly dir: string;

  constructor(dependencies: Record<string, string> = {}, devDependencies: Record<string, string> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'cascadence-plugins-'));
    writeFileSync(join(this.dir, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies, devDependencies }, null, 2));
    this.link('@cascadence/core', coreDir);
  }

  install(pkg: FakePackage): string {
    const main = pkg.main ?? 'index.js';
    const packageJson = {
      name: pkg.name,
      version: pkg.version ?? '1.0.0',
      ...(pkg.type ? { type: pkg.type } : {}),
      main,
      ...(pkg.exports !== undefined ? { exports: pkg.exports } : {}),
      ...(pkg.manifest !== undefined ? { cascadence: pkg.manifest } : {}),
      peerDependencies: { '@cascadence/core': '*' },
    };
    const realDir = pkg.pnpmLayout
      ? join(this.dir, 'node_modules', '.pnpm', `${pkg.name.replace('/', '+')}@1.0.0`, 'node_modules', pkg.name)
      : join(this.dir, 'node_modules', pkg.name);
    mkdirSync(dirname(join(realDir, main)), { recursive: true });
    writeFileSync(join(realDir, 'package.json'), JSON.stringify(packageJson, null, 2));
    writeFileSync(join(realDir, main), pkg.source);
    if (pkg.pnpmLayout) {
      // pnpm puts a package's peers beside it in its virtual store folder.
      this.link('@cascadence/core', coreDir, join(realDir, '..', '..'));
      this.link(pkg.name, realDir);
    }
    return realDir;
  }

  link(name: string, target: string, base = this.dir): void {
    const at = join(base, 'node_modules', name);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(target, at, 'dir');
  }

  write(relativePath: string, content: string): string {
    const file = join(this.dir, relativePath);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  /**
   * Runs `body` in a fresh node process (real ESM/CJS import, as users get it) with `core`,
   * `projectDir` and `problems` in scope; resolves to what `body` returns, as JSON.
   */
  run<T>(body: string): Promise<T> {
    const script = `
      const core = await import(${JSON.stringify(join(coreDir, 'dist', 'index.js'))});
      const projectDir = ${JSON.stringify(this.dir)};
      const problems = [];
      const onProblem = (p) => problems.push({ plugin: p.plugin, path: p.path, code: p.error.code, message: p.error.message });
      const out = await (async () => { ${body} })();
      process.stdout.write(JSON.stringify(out));
    `;
    return new Promise((resolvePromise, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: this.dir, timeout: 20_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolvePromise(JSON.parse(stdout) as T);
      });
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const manifest = (provides: string[], extra: Record<string, unknown> = {}) => ({ apiVersion: 1, provides, ...extra });

/** Source of an ESM plugin that provides one task and one processor. */
export function esmPlugin(name: string, taskName: string, processorName: string): string {
  return `
    import { definePlugin, defineTask, defineProcessor } from '@cascadence/core';
    export default definePlugin({
      name: ${JSON.stringify(name)},
      apiVersion: 1,
      tasks: [defineTask({ name: ${JSON.stringify(taskName)}, description: 'from ${name}', run: (_ctx, input) => ({ from: ${JSON.stringify(name)}, input }) })],
      processors: [defineProcessor({
        name: ${JSON.stringify(processorName)},
        options: { text: { type: 'string', required: true } },
        run: (_ctx, options) => options.text.toUpperCase(),
      })],
    });
  `;
}

/** Source of a CommonJS plugin with one task. */
export function cjsPlugin(name: string, taskName: string): string {
  return `
    const { definePlugin, defineTask } = require('@cascadence/core');
    module.exports = definePlugin({
      name: ${JSON.stringify(name)},
      apiVersion: 1,
      tasks: [defineTask({ name: ${JSON.stringify(taskName)}, run: () => 'cjs:' + ${JSON.stringify(name)} })],
    });
  `;
}
