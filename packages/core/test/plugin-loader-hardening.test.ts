import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cjsPlugin, manifest, TempProject } from './plugin-project';

interface Problem {
  plugin: string;
  path?: string;
  code: string;
  message: string;
}

jest.setTimeout(60_000);

/** A plugin package at `dir` whose import leaves `marker` behind: proof that it was imported. */
function plantMarkerPackage(dir: string, name: string, marker: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', main: 'index.js', cascadence: manifest(['task'], { tasks: ['evil-task'] }) }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'imported');\nmodule.exports = { name: ${JSON.stringify(name)}, apiVersion: 1, tasks: [] };\n`,
  );
}

describe('plugin names and paths that lead outside the project are refused (issue 13, item 1)', () => {
  let outer: string;
  let project: TempProject;
  let marker: string;

  beforeAll(() => {
    outer = mkdtempSync(join(tmpdir(), 'cascadence-traversal-'));
    marker = join(outer, 'IMPORTED');
    project = new TempProject({
      'cascadence-plugin-x/../../../elsewhere': 'file:../elsewhere',
      'cascadence-plugin-shared': '1.0.0',
      'cascadence-plugin-foreign': '1.0.0',
      'cascadence-plugin-mine': 'file:../mine',
      'cascadence-plugin-good': '1.0.0',
    });
    // `<project>/node_modules/cascadence-plugin-x/../../../elsewhere` is `<project>/../elsewhere`.
    const elsewhere = join(project.dir, '..', 'elsewhere');
    plantMarkerPackage(elsewhere, 'elsewhere', marker);
    // A symlink in node_modules to a folder in a world-writable, /tmp-like shared folder.
    const shared = join(outer, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    plantMarkerPackage(join(shared, 'evil'), 'cascadence-plugin-shared', marker);
    project.link('cascadence-plugin-shared', join(shared, 'evil'));
    // A symlink to a folder another user owns.
    const foreign = join(outer, 'foreign');
    plantMarkerPackage(foreign, 'cascadence-plugin-foreign', marker);
    if (process.getuid?.() === 0) chownSync(foreign, 65534, 65534);
    project.link('cascadence-plugin-foreign', foreign);
    // A link to the user's own folder (npm link, file:, workspaces): still loads.
    const mine = join(outer, 'mine');
    mkdirSync(mine);
    writeFileSync(
      join(mine, 'package.json'),
      JSON.stringify({ name: 'cascadence-plugin-mine', version: '1.0.0', main: 'index.js', cascadence: manifest(['task']) }),
    );
    writeFileSync(join(mine, 'index.js'), cjsPlugin('cascadence-plugin-mine', 'mine-task'));
    project.link('@cascadence/core', join(__dirname, '..'), mine);
    project.link('cascadence-plugin-mine', mine);
    project.install({
      name: 'cascadence-plugin-good',
      manifest: manifest(['task']),
      source: cjsPlugin('cascadence-plugin-good', 'good-task'),
    });
    // A config path that is a symlink from inside the project to a folder outside it.
    symlinkSync(elsewhere, join(project.dir, 'local-plugin'), 'dir');
  });

  afterAll(() => {
    project.remove();
    rmSync(join(project.dir, '..', 'elsewhere'), { recursive: true, force: true });
    rmSync(outer, { recursive: true, force: true });
  });

  it('a "/../" dependency key or config entry, a symlink into a world-writable folder or to another user, a config path symlinked outside: all refused by name; nothing imported', async () => {
    const out = await project.run<{ loaded: string[]; problems: Problem[]; fromConfig: string[] }>(`
      const result = await core.loadPlugins({ projectDir, plugins: ['./local-plugin'], onProblem });
      const fromConfig = [];
      await core.loadPlugins({ projectDir, discover: false, plugins: ['x/../../../elsewhere'], onProblem: (p) => fromConfig.push(p.error.message) });
      return { loaded: result.loaded.map((p) => p.name), problems, fromConfig };
    `);
    expect(existsSync(marker)).toBe(false);
    expect(out.loaded.sort()).toEqual(['cascadence-plugin-good', 'cascadence-plugin-mine']);
    const byPlugin = new Map(out.problems.map((p) => [p.plugin, p.message]));
    expect(byPlugin.get('cascadence-plugin-x/../../../elsewhere')).toMatch(
      /dependencies entry "cascadence-plugin-x\/\.\.\/\.\.\/\.\.\/elsewhere" in .*package\.json is not a valid npm package name/,
    );
    expect(out.fromConfig).toEqual([
      expect.stringMatching(/config's plugin entry "x\/\.\.\/\.\.\/\.\.\/elsewhere" is neither a valid npm package name nor a path/),
    ]);
    expect(byPlugin.get('cascadence-plugin-shared')).toMatch(/is a link to .*shared\/evil, outside the project .*writable by every user/);
    if (process.getuid?.() === 0)
      expect(byPlugin.get('cascadence-plugin-foreign')).toMatch(/is a link to .*foreign, .*owned by another user \(uid 65534/);
    expect(byPlugin.get('./local-plugin')).toMatch(
      /plugin path \.\/local-plugin resolves \(through a symbolic link\) to .*elsewhere, outside the project/,
    );
    for (const problem of out.problems) expect(problem.code).toBe('CASCADENCE_PLUGIN_LOAD');
    // Reported once each.
    expect(new Set(out.problems.map((p) => p.plugin)).size).toBe(out.problems.length);
  });
});

describe('hostile values thrown by a plugin are reported like any failure (issue 13, item 2)', () => {
  let project: TempProject;
  beforeAll(() => {
    project = new TempProject({
      'cascadence-plugin-nullproto': '1.0.0',
      'cascadence-plugin-tostring': '1.0.0',
      'cascadence-plugin-revoked': '1.0.0',
      'cascadence-plugin-getter': '1.0.0',
      'cascadence-plugin-good': '1.0.0',
    });
    project.install({
      name: 'cascadence-plugin-nullproto',
      type: 'module',
      manifest: manifest(['task']),
      source: 'throw Object.create(null);',
    });
    project.install({
      name: 'cascadence-plugin-tostring',
      type: 'module',
      manifest: manifest(['task']),
      source: 'throw { toString() { throw new Error("no"); }, valueOf() { throw new Error("no"); } };',
    });
    project.install({
      name: 'cascadence-plugin-revoked',
      type: 'module',
      manifest: manifest(['task'], { tasks: ['revoked-task'] }),
      source: `export default { name: 'cascadence-plugin-revoked', apiVersion: 1, setup() { const p = Proxy.revocable({}, {}); p.revoke(); throw p.proxy; } };`,
    });
    project.install({
      name: 'cascadence-plugin-getter',
      type: 'module',
      manifest: manifest(['task']),
      source: `const e = new Error('x'); Object.defineProperty(e, 'message', { get() { throw new Error('hostile getter'); } }); throw e;`,
    });
    project.install({
      name: 'cascadence-plugin-good',
      manifest: manifest(['task']),
      source: cjsPlugin('cascadence-plugin-good', 'good-task'),
    });
  });
  afterAll(() => project.remove());

  it('resolves, names each plugin once, keeps the good one, and a revoked-proxy setup still blocks its task with its own error', async () => {
    const out = await project.run<{ loaded: string[]; problems: Problem[]; revokedTask: string; good: boolean }>(`
      const result = await core.loadPlugins({ projectDir, onProblem });
      let revokedTask = '';
      try { result.registry.get('revoked-task'); } catch (e) { revokedTask = e.message; }
      return { loaded: result.loaded.map((p) => p.name), problems, revokedTask, good: result.registry.has('good-task') };
    `);
    expect(out.loaded).toEqual(['cascadence-plugin-good']);
    expect(out.good).toBe(true);
    expect(out.problems.map((p) => p.plugin).sort()).toEqual([
      'cascadence-plugin-getter',
      'cascadence-plugin-nullproto',
      'cascadence-plugin-revoked',
      'cascadence-plugin-tostring',
    ]);
    for (const p of out.problems) {
      expect(p.code).toBe('CASCADENCE_PLUGIN_LOAD');
      expect(p.message).toContain(`plugin ${p.plugin} (`);
      expect(p.message).not.toMatch(/Cannot convert object to primitive value/);
    }
    expect(out.revokedTask).toMatch(/plugin cascadence-plugin-revoked .*failed to load/);
  });
});

describe('a plugin that never finishes loading is cut off at the load deadline (issue 13, item 3)', () => {
  let project: TempProject;
  beforeAll(() => {
    project = new TempProject({ 'cascadence-plugin-tla': '1.0.0', 'cascadence-plugin-setup': '1.0.0', 'cascadence-plugin-good': '1.0.0' });
    project.install({
      name: 'cascadence-plugin-tla',
      type: 'module',
      manifest: manifest(['task'], { tasks: ['tla-task'] }),
      source: 'await new Promise(() => {});\nexport default {};',
    });
    project.install({
      name: 'cascadence-plugin-setup',
      type: 'module',
      manifest: manifest(['task']),
      source: `export default { name: 'cascadence-plugin-setup', apiVersion: 1, setup: () => new Promise(() => {}) };`,
    });
    project.install({
      name: 'cascadence-plugin-good',
      manifest: manifest(['task']),
      source: cjsPlugin('cascadence-plugin-good', 'good-task'),
    });
  });
  afterAll(() => project.remove());

  it('a top-level await or a setup() that never settles is reported by name and the rest loads', async () => {
    const out = await project.run<{ loaded: string[]; problems: Problem[]; tla: string }>(`
      const result = await core.loadPlugins({ projectDir, onProblem, loadTimeoutMs: 300 });
      let tla = '';
      try { result.registry.get('tla-task'); } catch (e) { tla = e.message; }
      return { loaded: result.loaded.map((p) => p.name), problems, tla };
    `);
    expect(out.loaded).toEqual(['cascadence-plugin-good']);
    const byPlugin = new Map(out.problems.map((p) => [p.plugin, p.message]));
    expect(byPlugin.get('cascadence-plugin-tla')).toMatch(
      /plugin cascadence-plugin-tla \(.*\) failed to load: its import did not finish within 300 ms \(plugins\.loadTimeoutMs\)/,
    );
    expect(byPlugin.get('cascadence-plugin-setup')).toMatch(
      /plugin cascadence-plugin-setup \(.*\) failed to load: its setup\(\) did not finish within 300 ms/,
    );
    expect(out.tla).toMatch(/cascadence-plugin-tla/);
    expect(out.problems).toHaveLength(2);
  });

  it('refuses a loadTimeoutMs that is not a number >= 0, naming the option', async () => {
    const out = await project.run<{ message: string }>(`
      try { await core.loadPlugins({ projectDir, loadTimeoutMs: -1 }); return { message: 'resolved' }; } catch (e) { return { message: e.message }; }
    `);
    expect(out.message).toMatch(/option "loadTimeoutMs" must be a number of milliseconds >= 0/);
  });
});
