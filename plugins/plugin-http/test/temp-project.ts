import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** This package's folder: linked into temp projects the way a package manager installs it. */
export const packageDir = resolve(__dirname, '..');
/** The @cascadence/core this package was built against (its devDependency). */
export const coreDir = dirname(require.resolve('@cascadence/core/package.json'));

/**
 * A real project folder in the temp dir whose package.json depends on the plugin and whose
 * node_modules links to the built package, so `loadPlugins` discovers it as a user's project would.
 * Scripts run in a fresh node process: jest cannot `import()` ESM packages itself.
 */
export class TempProject {
  readonly dir: string;

  constructor(dependencies: Record<string, string>) {
    if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
      throw new Error(`${packageDir}/dist is missing: build the package first (npx -y pnpm@12.4.2 --filter ./plugins/plugin-http build)`);
    }
    this.dir = mkdtempSync(join(tmpdir(), 'cascadence-http-project-'));
    writeFileSync(join(this.dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }, null, 2));
    this.link('@cascadence/core', coreDir);
  }

  link(name: string, target: string): void {
    const at = join(this.dir, 'node_modules', name);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(target, at, 'dir');
  }

  /** Runs an ES module body in a new node process in the project; resolves to its stdout parsed as JSON. */
  run<T>(body: string, timeoutMs = 20_000): Promise<T> {
    const file = join(this.dir, `script-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(file, body);
    return new Promise((resolvePromise, reject) => {
      execFile(process.execPath, [file], { cwd: this.dir, timeout: timeoutMs }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else {
          try {
            resolvePromise(JSON.parse(stdout) as T);
          } catch {
            reject(new Error(`script printed no JSON: ${stdout}\n${stderr}`));
          }
        }
      });
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
