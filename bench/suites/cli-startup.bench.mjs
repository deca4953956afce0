// Start-up of the `task` binary beside a bare `node -e 0`, as wall time of whole processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { median } from './lib.mjs';

const require = createRequire(import.meta.url);
const taskBin = join(dirname(require.resolve('@cascadence/cli/package.json')), 'bin', 'run.js');

function time(args, cwd) {
  const t0 = performance.now();
  const child = spawnSync(process.execPath, args, { cwd, stdio: 'ignore' });
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited ${child.status}`);
  return performance.now() - t0;
}

export async function run({ quick }) {
  const reps = quick ? 5 : 15;
  const cwd = mkdtempSync(join(tmpdir(), 'cascadence-bench-cli-'));
  try {
    const contenders = {
      'node -e 0': ['-e', '0'],
      'task --version': [taskBin, '--version'],
      'task list': [taskBin, 'list'],
      'task run example': [taskBin, 'run', 'example'],
    };
    const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
    for (const args of Object.values(contenders)) time(args, cwd); // warm the file cache
    for (let i = 0; i < reps; i++) for (const [name, args] of Object.entries(contenders)) samples[name].push(time(args, cwd));
    const base = median(samples['node -e 0']);
    return Object.entries(samples).map(([name, values]) => {
      const ms = median(values);
      const target = name === 'task list' ? '<= 3.00x' : undefined;
      return { case: name, value: ms, unit: 'ms (median)', ratio: ms / base, baseline: 'node -e 0', target, met: target ? ms / base <= 3 : undefined };
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
