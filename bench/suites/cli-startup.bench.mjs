// Start-up of the `task` binary beside a bare `node -e 0`, as wall time of whole processes: in a
// bare folder, and in a project like a real one (a config, 11 tasks and flows, 2 plugins
// discovered from package.json), where `task list` needs names only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';

const require = createRequire(import.meta.url);
const taskBin = join(dirname(require.resolve('@cascadence/cli/package.json')), 'bin', 'run.js');
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function time(args, cwd, env) {
  const t0 = performance.now();
  const child = spawnSync(process.execPath, args, {
    cwd,
    stdio: 'ignore',
    ...(env !== undefined ? { env: { ...process.env, ...env } } : {}),
  });
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited ${child.status} in ${cwd}`);
  return performance.now() - t0;
}

/** A project folder: config, 6 tasks in one module, 5 YAML flows, 2 plugins in node_modules. */
export function realProject(dir) {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'bench-project',
      private: true,
      type: 'module',
      dependencies: { '@cascadence/plugin-shell': '*', '@cascadence/plugin-http': '*' },
    }),
  );
  writeFileSync(
    join(dir, 'cascadence.config.mjs'),
    `export default { tasks: ['./tasks.mjs'], timezone: 'UTC', plugins: { discover: true } };\n`,
  );
  const tasks = Array.from(
    { length: 6 },
    (_, i) =>
      `export const task${i} = defineTask({ name: 'task-${i}', description: 'task number ${i}', run: (input) => ({ i: ${i}, input }) });`,
  );
  writeFileSync(join(dir, 'tasks.mjs'), `import { defineTask } from '@cascadence/core';\n${tasks.join('\n')}\n`);
  mkdirSync(join(dir, 'flows'));
  for (let i = 0; i < 5; i++) {
    writeFileSync(
      join(dir, 'flows', `flow-${i}.yml`),
      `name: flow-${i}\ndescription: flow number ${i}\nsteps:\n  first:\n    task: task-${i}\n  check:\n    uses: shell\n    needs: [first]\n    with:\n      args: [node, --version]\n  last:\n    task: task-${i + 1}\n    needs: [check]\n`,
    );
  }
  const modules = join(dir, 'node_modules', '@cascadence');
  mkdirSync(modules, { recursive: true });
  symlinkSync(join(repo, 'packages', 'core'), join(modules, 'core'), 'dir');
  symlinkSync(join(repo, 'plugins', 'plugin-shell'), join(modules, 'plugin-shell'), 'dir');
  symlinkSync(join(repo, 'plugins', 'plugin-http'), join(modules, 'plugin-http'), 'dir');
}

export async function run({ quick }) {
  const reps = quick ? 5 : 15;
  const bare = mkdtempSync(join(tmpdir(), 'cascadence-bench-cli-'));
  const project = mkdtempSync(join(tmpdir(), 'cascadence-bench-project-'));
  try {
    realProject(project);
    const contenders = {
      'node -e 0': [['-e', '0'], bare],
      'task --version': [[taskBin, '--version'], bare],
      'task list': [[taskBin, 'list'], bare],
      'task run example': [[taskBin, 'run', 'example'], bare],
      'task list, project with config, 11 tasks/flows, 2 plugins': [[taskBin, 'list'], project],
      // The same through oclif (what `task list` cost before its fast path, src/fast-path.ts in the CLI).
      'same, oclif path (CASCADENCE_CLI_NO_FAST_PATH=1)': [[taskBin, 'list'], project, { CASCADENCE_CLI_NO_FAST_PATH: '1' }],
    };
    const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
    for (const [args, cwd, env] of Object.values(contenders)) time(args, cwd, env); // warm the file cache
    for (let i = 0; i < reps; i++)
      for (const [name, [args, cwd, env]] of Object.entries(contenders)) samples[name].push(time(args, cwd, env));
    const base = median(samples['node -e 0']);
    const targets = { 'task list': 3, 'task list, project with config, 11 tasks/flows, 2 plugins': 2.5 };
    return Object.entries(samples).map(([name, values]) => {
      const ms = median(values);
      const limit = targets[name];
      return {
        case: name,
        value: ms,
        unit: 'ms (median)',
        ratio: ms / base,
        baseline: 'node -e 0',
        target: limit === undefined ? undefined : `<= ${limit.toFixed(2)}x`,
        met: limit === undefined ? undefined : ms / base <= limit,
      };
    });
  } finally {
    rmSync(bare, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  }
}
