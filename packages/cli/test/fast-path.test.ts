/**
 * `task list` and `task --version` answered without oclif (src/fast-path.ts) must print what oclif prints:
 * same stdout, stderr and exit code, for every project and flag set here, and oclif must answer
 * whatever the fast path cannot (help, bad flags, errors, user-installed oclif plugins).
 * Every run is a real `task` process; a preload script records how many oclif modules it loaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, cliRoot, Project, sampleProject } from './cli-harness';

const scratch = mkdtempSync(join(tmpdir(), 'cascadence-fast-path-'));
const home = join(scratch, 'home');
mkdirSync(home);
// Counts the oclif modules the process loaded (oclif is CommonJS: they are in require.cache), and
// the worker threads it started (the plugin loader's watchdog is one).
const probe = join(scratch, 'probe.cjs');
writeFileSync(
  probe,
  [
    `const threads = require('worker_threads'); const Original = threads.Worker; let workers = 0;`,
    `threads.Worker = class extends Original { constructor(...args) { super(...args); workers++; } };`,
    `require('module').syncBuiltinESMExports();`,
    `process.on('exit', () => { const n = Object.keys(require.cache).filter((k) => k.includes('@oclif')).length; require('fs').writeFileSync(process.env.PROBE_OUT, n + ' ' + workers); });`,
    '',
  ].join('\n'),
);
let runs = 0;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** oclif modules loaded by the process. */
  oclif: number;
  /** Worker threads the process started. */
  workers: number;
}

/** `task <args>` in `cwd`, with a home of its own (no user plugins unless a test adds them). */
function taskProcess(args: string[], cwd: string, env: Record<string, string> = {}): Outcome {
  const out = join(scratch, `probe-${++runs}`);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: home, PROBE_OUT: out, ...env };
  for (const name of ['XDG_DATA_HOME', 'TASK_DATA_DIR', 'DEBUG', 'TASK_DEBUG', 'CASCADENCE_DEBUG', 'FORCE_COLOR']) {
    if (!(name in env)) delete childEnv[name];
  }
  if (!('CASCADENCE_CLI_NO_FAST_PATH' in env)) delete childEnv.CASCADENCE_CLI_NO_FAST_PATH;
  const child = spawnSync(process.execPath, ['-r', probe, bin, ...args], { cwd, env: childEnv, encoding: 'utf8', timeout: 60_000 });
  const [oclif, workers] = readFileSync(out, 'utf8').split(' ').map(Number) as [number, number];
  return { code: child.status, stdout: child.stdout, stderr: child.stderr, oclif, workers };
}

const forced = { CASCADENCE_CLI_NO_FAST_PATH: '1' };
const projects: Record<string, Project> = {};

beforeAll(() => {
  projects.empty = new Project();

  // Config, tasks, YAML flows, a discovered plugin, a broken flow file and a plugin that fails to
  // load (warnings), a disabled task, untrusted text with escape sequences and a forged newline.
  const full = sampleProject();
  full.write('flows/nightly.yml', 'name: nightly\ndescription: "\\e[31mred\\e[0m and a\\nforged row"\nsteps:\n  a:\n    task: add\n');
  full.write('flows/broken.yml', 'name: "evil\\e]0;title\\a"\nsteps:\n  a:\n    task: add\n    needs: [missing]\n');
  full.write('sub/keep.txt', '');
  full.write('alt.config.mjs', `export default { tasks: ['./tasks.mjs'], flows: [] };\n`);
  const pjson = JSON.parse(readFileSync(join(full.dir, 'package.json'), 'utf8'));
  pjson.dependencies['cascadence-plugin-bad'] = '1.0.0';
  full.write('package.json', JSON.stringify(pjson));
  full.write(
    'node_modules/cascadence-plugin-bad/package.json',
    JSON.stringify({
      name: 'cascadence-plugin-bad',
      version: '1.0.0',
      type: 'module',
      main: 'index.js',
      cascadence: { apiVersion: 1, provides: ['task'] },
    }),
  );
  full.write('node_modules/cascadence-plugin-bad/index.js', `throw new Error('bad plugin \\x1b[2J exploded');\n`);
  expect(taskProcess(['disable', 'add'], full.dir, forced).code).toBe(0);
  projects.full = full;

  // Plugins `task list` need not import (their manifests provide no tasks: issue 21): one that works
  // and one that throws when imported, both used by a flow; one with an unsupported manifest and one
  // not installed (both found without importing: still warned about); one denied; and one that
  // provides tasks (imported and listed). Each records its import in imported.log.
  const processors = new Project({
    'cascadence.config.mjs': `export default { plugins: { deny: ['denied'] } };\n`,
    'flows/shout.yml':
      'name: shout\ndescription: uses the processors\nsteps:\n  a:\n    uses: upper\n    with: { text: hi }\n  b:\n    uses: broken-proc\n    needs: [a]\n',
  });
  const plugins: Record<string, { provides: string[]; source: string; apiVersion?: number }> = {
    'cascadence-plugin-upper': {
      provides: ['processor'],
      source: `export default definePlugin({ name: 'cascadence-plugin-upper', apiVersion: 1, processors: [defineProcessor({ name: 'upper', options: { text: { type: 'string', required: true } }, run: (_ctx, o) => o.text.toUpperCase() })] });`,
    },
    'cascadence-plugin-procbroken': { provides: ['processor', 'backend'], source: `throw new Error('processor plugin exploded');` },
    'cascadence-plugin-procfuture': { provides: ['processor'], apiVersion: 2, source: `throw new Error('must not be imported');` },
    'cascadence-plugin-denied': { provides: ['processor'], source: `throw new Error('must not be imported');` },
    'cascadence-plugin-tasks': {
      provides: ['task', 'processor'],
      source: `export default definePlugin({ name: 'cascadence-plugin-tasks', apiVersion: 1, tasks: [defineTask({ name: 'plugged', description: 'from a plugin with tasks', run: () => 1 })] });`,
    },
  };
  const dependencies: Record<string, string> = { 'cascadence-plugin-procmissing': '1.0.0' };
  for (const [name, { provides, source, apiVersion }] of Object.entries(plugins)) {
    dependencies[name] = '1.0.0';
    processors.write(
      `node_modules/${name}/package.json`,
      JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.js', cascadence: { apiVersion: apiVersion ?? 1, provides } }),
    );
    processors.write(
      `node_modules/${name}/index.js`,
      [
        `import { appendFileSync } from 'node:fs';`,
        `import { definePlugin, defineProcessor, defineTask } from '@cascadence/core';`,
        `appendFileSync(new URL('../../imported.log', import.meta.url), ${JSON.stringify(`${name}\n`)});`,
        source,
        '',
      ].join('\n'),
    );
  }
  processors.write('package.json', JSON.stringify({ name: 'processors', private: true, type: 'module', dependencies }));
  processors.linkCore();
  projects['processor plugins'] = processors;

  // Like the bench project: only processor plugins, so `task list` imports none.
  const processorsOnly = new Project({
    'package.json': JSON.stringify({ name: 'only', private: true, type: 'module', dependencies: { 'cascadence-plugin-upper': '1.0.0' } }),
    'flows/shout.yml': 'name: shout\nsteps:\n  a:\n    uses: upper\n    with: { text: hi }\n',
  });
  processorsOnly.write(
    'node_modules/cascadence-plugin-upper/package.json',
    readFileSync(join(processors.dir, 'node_modules/cascadence-plugin-upper/package.json'), 'utf8'),
  );
  processorsOnly.write(
    'node_modules/cascadence-plugin-upper/index.js',
    readFileSync(join(processors.dir, 'node_modules/cascadence-plugin-upper/index.js'), 'utf8'),
  );
  processorsOnly.linkCore();
  projects['processor plugins only'] = processorsOnly;

  const brokenConfig = new Project({ 'cascadence.config.mjs': 'export default { tasks: [ };\n' });
  projects['broken config'] = brokenConfig;
  projects['missing tasks file'] = new Project({ 'cascadence.config.mjs': `export default { tasks: ['./nope.mjs'] };\n` });
  projects['task module that throws'] = new Project({
    'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
    'tasks.mjs': `process.stderr.write('loading tasks\\n');\nthrow new Error('tasks \\x1b[31m failed');\n`,
  });
});

afterAll(() => {
  for (const project of Object.values(projects)) project.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/** Flag sets the fast path answers (when the project loads), then ones oclif must answer. */
const FAST: string[][] = [
  [],
  ['--json'],
  ['--cwd', 'sub'],
  ['--cwd=sub', '--json'],
  ['--config', 'alt.config.mjs'],
  ['--config=alt.config.mjs', '--json', '--cwd', '.'],
];
const OCLIF: string[][] = [
  ['--help'],
  ['-h'],
  ['--jsn'],
  ['--json', '--json'],
  ['--cwd', 'no-such-folder'],
  ['--cwd', 'sub/keep.txt'],
  ['--cwd', 'sub/keep.txt/below-a-file'],
  ['--config'],
  ['--config='],
  ['--cwd', '--json'],
  ['extra'],
  ['--', '--json'],
  ['--json=true'],
];

describe('task list: the fast path and oclif print the same', () => {
  const cases: Array<[string, string[], boolean]> = [];
  for (const name of ['full', 'empty']) {
    for (const flags of FAST) cases.push([name, flags, true]);
    for (const flags of OCLIF) cases.push([name, flags, false]);
  }
  for (const name of ['processor plugins', 'processor plugins only']) cases.push([name, [], true], [name, ['--json'], true]);
  for (const name of ['broken config', 'missing tasks file', 'task module that throws']) {
    cases.push([name, [], true], [name, ['--json'], true]);
  }

  it.each(cases)('%s: task list %j', (name, flags, parsable) => {
    const project = projects[name] as Project;
    const fast = taskProcess(['list', ...flags], project.dir);
    const oclif = taskProcess(['list', ...flags], project.dir, forced);
    expect({ code: fast.code, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
      code: oclif.code,
      stdout: oclif.stdout,
      stderr: oclif.stderr,
    });
    expect(oclif.oclif).toBeGreaterThan(0);
    // The fast path answers exactly the successful runs with flags it parses; oclif answers the rest.
    const answeredFast = parsable && fast.code === 0;
    expect(fast.oclif === 0).toBe(answeredFast);
  });

  it('the matrix covers what it means to: the full project lists everything, escaped, with its warnings', () => {
    const fast = taskProcess(['list'], projects.full!.dir);
    expect(fast.oclif).toBe(0);
    expect(fast.code).toBe(0);
    expect(fast.stdout).toMatch(/^add +task +disabled +adds a and b$/m);
    expect(fast.stdout).toMatch(/^greet +task +enabled +from a plugin$/m);
    expect(fast.stdout).toMatch(/^nightly +flow +enabled +\\e\[31mred\\e\[0m and a\\nforged row$/m);
    expect(fast.stdout).toMatch(/^evil\\e\]0;title\\x07 +flow +broken /m);
    expect(fast.stdout).not.toContain('\x1b');
    expect(fast.stderr).toContain('cascadence-plugin-bad');
    expect(fast.stderr).toContain('is unavailable until the file is fixed');
    expect(fast.stderr).not.toContain('\x1b');
    // Warnings are printed once, also when the fast path gave up and oclif loaded the project again.
    const failed = taskProcess(['list'], projects['task module that throws']!.dir);
    expect(failed.code).toBe(1);
    expect(failed.stderr.match(/loading tasks/g)).toHaveLength(1);
    expect(failed.stderr).toMatch(/^error: tasks\.mjs \(listed in "tasks"\) failed to load: tasks \\e\[31m failed$/m);
    expect(taskProcess(['list'], projects['broken config']!.dir).code).toBe(1);
  });
});

describe('task list does not import plugins that provide no tasks (issue 21)', () => {
  const imported = (project: Project): string[] => {
    try {
      return readFileSync(join(project.dir, 'imported.log'), 'utf8').trim().split('\n');
    } catch {
      return [];
    } finally {
      rmSync(join(project.dir, 'imported.log'), { force: true });
    }
  };

  it.each([[{}], [forced]])(
    '%j: only the plugin with tasks is imported; problems found without importing are still warned about',
    (env) => {
      const project = projects['processor plugins'] as Project;
      imported(project);
      const list = taskProcess(['list'], project.dir, env);
      expect(list.code).toBe(0);
      expect(imported(project)).toEqual(['cascadence-plugin-tasks']);
      // A flow's `uses:` is resolved when it runs: the flow lists the same with its processors unloaded.
      expect(list.stdout).toMatch(/^shout +flow +enabled +uses the processors$/m);
      expect(list.stdout).toMatch(/^plugged +task +enabled +from a plugin with tasks$/m);
      const warnings = list.stderr.trim().split('\n');
      expect(warnings).toEqual([
        expect.stringMatching(/^warning: plugin cascadence-plugin-procfuture .*declares plugin apiVersion 2/),
        expect.stringMatching(/^warning: plugin cascadence-plugin-procmissing is not installed/),
      ]);
    },
  );

  it('a processor-only plugin that fails to import is reported by the commands that load it, not by task list', () => {
    const project = projects['processor plugins'] as Project;
    imported(project);
    expect(taskProcess(['list'], project.dir).stderr).not.toContain('exploded');
    expect(imported(project)).toEqual(['cascadence-plugin-tasks']);
    const run = taskProcess(['run', 'shout'], project.dir, forced);
    expect(imported(project)).toEqual(['cascadence-plugin-procbroken', 'cascadence-plugin-tasks', 'cascadence-plugin-upper']);
    expect(run.stderr).toMatch(/^warning: plugin cascadence-plugin-procbroken .*processor plugin exploded$/m);
    expect(run.code).toBe(1);
  });

  it('with only such plugins, task list imports none and starts no watchdog thread; task run still loads them', () => {
    const project = projects['processor plugins only'] as Project;
    imported(project);
    for (const env of [{}, forced]) {
      const list = taskProcess(['list'], project.dir, env);
      expect([list.code, list.stderr, list.workers]).toEqual([0, '', 0]);
      expect(list.stdout).toMatch(/^shout +flow +enabled$/m);
      expect(imported(project)).toEqual([]);
    }
    const run = taskProcess(['run', 'shout', '--json'], project.dir, forced);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).output).toEqual({ a: 'HI' });
    expect(run.workers).toBe(1);
    expect(imported(project)).toEqual(['cascadence-plugin-upper']);
  });
});

describe('task --version: the fast path and oclif print the same', () => {
  it.each([['--version'], ['-v']])('%s', (flag) => {
    const dir = projects.empty!.dir;
    const fast = taskProcess([flag], dir);
    const oclif = taskProcess([flag], dir, forced);
    expect([fast.code, fast.stdout, fast.stderr]).toEqual([oclif.code, oclif.stdout, oclif.stderr]);
    expect(fast.stdout).toMatch(/^@cascadence\/cli\/\S+ \S+-\S+ node-v\S+\n$/);
    expect(fast.oclif).toBe(0);
    expect(oclif.oclif).toBeGreaterThan(0);
  });
});

describe('what the fast path assumes of this package', () => {
  it('no oclif hook could run for list or --version: the CLI declares none, and its oclif plugins only `update`', () => {
    // A hook (init, prerun, finally, ...) added here or by a new oclif plugin would be skipped by the
    // fast path: teach src/fast-path.ts about it (or fall back) before changing this test.
    const pjson = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8'));
    expect(pjson.oclif.hooks).toBeUndefined();
    expect(pjson.oclif.jitPlugins).toBeUndefined();
    expect(pjson.oclif.devPlugins).toBeUndefined();
    expect(pjson.oclif.plugins).toEqual(['@oclif/plugin-help', '@oclif/plugin-plugins']);
    for (const plugin of pjson.oclif.plugins as string[]) {
      const own = JSON.parse(readFileSync(join(cliRoot, 'node_modules', plugin, 'package.json'), 'utf8'));
      expect(Object.keys(own.oclif.hooks ?? {}).filter((hook) => hook !== 'update')).toEqual([]);
    }
  });
  it('the list command has exactly the flags the fast path parses, with nothing that changes their reading (env, default, aliases, ...)', () => {
    // Read from the built command, as oclif sees it; a new flag or option here needs src/fast-path.ts too.
    const script = `
      import { COMMANDS } from './dist/commands.js';
      const List = COMMANDS.list;
      const flags = { ...List.baseFlags, ...List.flags };
      const shape = Object.fromEntries(Object.entries(flags).map(([name, flag]) => {
        const { description, helpGroup, summary, parse, input, ...rest } = flag;
        return [name, rest];
      }));
      console.log(JSON.stringify({ shape, strict: List.strict, args: List.args, enableJsonFlag: List.enableJsonFlag, aliases: List.aliases }));
    `;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: cliRoot, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({
      shape: {
        cwd: { type: 'option', multiple: false, exists: true },
        config: { type: 'option', multiple: false },
        json: { type: 'boolean', allowNo: false },
      },
      strict: true,
      args: {},
      enableJsonFlag: false,
      aliases: [],
    });
  });
});

describe('what turns the fast path off', () => {
  /** A user-installed oclif plugin (as `task plugins install` records it) whose init hook prints a line. */
  function userPlugin(dataDir: string, plugins: unknown[] = [{ name: 'hookplug', type: 'user', tag: '1.0.0' }]): void {
    mkdirSync(join(dataDir, 'node_modules', 'hookplug'), { recursive: true });
    writeFileSync(join(dataDir, 'package.json'), JSON.stringify({ private: true, oclif: { schema: 1, plugins }, dependencies: {} }));
    writeFileSync(
      join(dataDir, 'node_modules', 'hookplug', 'package.json'),
      JSON.stringify({ name: 'hookplug', version: '1.0.0', main: 'index.js', oclif: { hooks: { init: './hook.js' } } }),
    );
    writeFileSync(join(dataDir, 'node_modules', 'hookplug', 'index.js'), 'module.exports = {};\n');
    writeFileSync(
      join(dataDir, 'node_modules', 'hookplug', 'hook.js'),
      'module.exports = async function () { process.stderr.write("user plugin hook ran\\n"); };\n',
    );
  }

  it.each([
    ['XDG_DATA_HOME', (root: string) => [join(root, 'cascadence'), { XDG_DATA_HOME: root }] as const],
    ['TASK_DATA_DIR', (root: string) => [join(root, 'data'), { TASK_DATA_DIR: join(root, 'data') }] as const],
    ['HOME', (root: string) => [join(root, '.local', 'share', 'cascadence'), { HOME: root }] as const],
  ])('a user-installed oclif plugin found through %s: oclif answers, and its hook runs', (_how, place) => {
    const root = mkdtempSync(join(scratch, 'data-'));
    const [dataDir, env] = place(root);
    userPlugin(dataDir);
    const dir = projects.empty!.dir;
    const result = taskProcess(['list'], dir, env);
    expect(result.oclif).toBeGreaterThan(0);
    expect(result.stderr).toContain('user plugin hook ran');
    const viaOclif = taskProcess(['list'], dir, { ...env, ...forced });
    expect([result.code, result.stdout, result.stderr]).toEqual([viaOclif.code, viaOclif.stdout, viaOclif.stderr]);
    const version = taskProcess(['--version'], dir, env);
    expect(version.oclif).toBeGreaterThan(0);
    expect(version.stderr).toContain('user plugin hook ran');
    // After `task plugins uninstall` the file stays with an empty list: the fast path is back.
    userPlugin(dataDir, []);
    expect(taskProcess(['list'], dir, env).oclif).toBe(0);
    expect(taskProcess(['--version'], dir, env).oclif).toBe(0);
  });

  it.each([[forced], [{ DEBUG: 'oclif:*' }], [{ TASK_DEBUG: '1' }], [{ CASCADENCE_DEBUG: '1' }]])('%j: oclif answers', (env) => {
    expect(taskProcess(['list'], projects.empty!.dir, env).oclif).toBeGreaterThan(0);
    expect(taskProcess(['--version'], projects.empty!.dir, env).oclif).toBeGreaterThan(0);
  });

  it('other commands are oclif’s', () => {
    const dir = projects.empty!.dir;
    for (const args of [['--version', 'x'], ['-v', '--json'], ['run', 'example'], ['schedules'], ['lst'], ['list:x'], ['help', 'list']]) {
      expect(taskProcess(args, dir).oclif).toBeGreaterThan(0);
    }
    expect(taskProcess(['list'], dir).oclif).toBe(0);
  });
});
