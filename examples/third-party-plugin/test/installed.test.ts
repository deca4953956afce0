/**
 * The package as users get it: the built dist/ linked into a throwaway project's node_modules,
 * found by @cascadence/core's loader the way the `task` CLI finds it. The loader `import()`s
 * plugins, which jest (running tests as CommonJS) cannot do, so the check runs in a child node
 * process and reports back as JSON. Run `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const packageDir = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const coreDir = dirname(require.resolve('@cascadence/core/package.json'));

function runNode(cwd: string, source: string): Promise<any> {
  const file = join(cwd, 'check.mjs');
  writeFileSync(file, source);
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [file], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolvePromise(JSON.parse(stdout));
    });
  });
}

describe(`${pkg.name} installed in a project`, () => {
  let project: string;

  beforeAll(() => {
    if (!existsSync(join(packageDir, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    project = mkdtempSync(join(tmpdir(), 'cascadence-plugin-user-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user', private: true, type: 'module', dependencies: { [pkg.name]: `^${pkg.version}` } }));
    for (const [name, target] of [['@cascadence/core', coreDir], [pkg.name, packageDir]] as const) {
      const at = join(project, 'node_modules', name);
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(target, at, 'dir');
    }
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('is discovered from the dependencies and its processor runs in a flow', async () => {
    const out = await runNode(project, `
      import { defineFlow, Engine, loadPlugins, silentLogger } from '@cascadence/core';
      const problems = [];
      const { registry, loaded } = await loadPlugins({ projectDir: process.cwd(), onProblem: (p) => problems.push(p.error.message) });
      const engine = new Engine({ resolver: registry, logger: silentLogger });
      const run = await engine.run(defineFlow({ name: 'check', steps: { step: { uses: 'slugify', with: { text: 'My First Post!' } } } }));
      console.log(JSON.stringify({ loaded: loaded.map((p) => p.name), problems, status: run.status, output: run.steps.step.output }));
    `);
    expect(out).toEqual({ loaded: [pkg.name], problems: [], status: 'succeeded', output: 'my-first-post' });
  });

  it('loads by its shorthand from a config list, and from CommonJS too', async () => {
    const out = await runNode(project, `
      import { createRequire } from 'node:module';
      import { loadPlugins } from '@cascadence/core';
      const { loaded, registry } = await loadPlugins({ projectDir: process.cwd(), discover: false, plugins: ['slugify'] });
      const cjs = createRequire(import.meta.url)(${JSON.stringify(pkg.name)});
      console.log(JSON.stringify({
        loaded: loaded.map((p) => [p.name, p.origin]),
        processors: registry.processors().map((p) => p.name),
        cjs: [cjs.default.name, cjs.default.processors.map((p) => p.name)],
      }));
    `);
    expect(out).toEqual({ loaded: [[pkg.name, 'config']], processors: pkg.cascadence.processors, cjs: [pkg.name, pkg.cascadence.processors] });
  });
});
