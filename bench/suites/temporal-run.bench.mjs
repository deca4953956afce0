// Where `task run example --backend temporal` spends its time (issue 21), on a real Temporal dev
// server with a worker for the `cascadence` queue in this process: whole processes (node -e 0,
// importing the Temporal client SDK, importing @cascadence/temporal, `task run` local and on
// Temporal), then the run's own phases in process: opening the connection (first start() minus
// later ones), starting the workflow, and start to result (first workflow task, the activity,
// completion). No server binary: one row saying so.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { silentLogger } from '@cascadence/core';
import { exampleTask } from '@cascadence/cli';
import { TemporalBackend, createWorker } from '@cascadence/temporal';
import { findTemporalBinary, startDevServer } from '@cascadence/temporal/testing';
import { median } from './lib.mjs';

const require = createRequire(import.meta.url);
const taskBin = join(dirname(require.resolve('@cascadence/cli/package.json')), 'bin', 'run.js');
const temporalEntry = fileURLToPath(import.meta.resolve('@cascadence/temporal'));
const clientEntry = createRequire(temporalEntry).resolve('@temporalio/client');

// Asynchronous: the worker in this process must keep polling while a `task run` waits for it.
function processMs(args, cwd) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(performance.now() - t0);
    });
  });
}

export async function run({ quick }) {
  const binary = findTemporalBinary();
  if (binary === undefined) return [{ case: 'skipped: no temporal binary', value: 0, unit: '' }];
  const reps = quick ? 5 : 11;
  const server = await startDevServer({ binary });
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-bench-temporal-run-'));
  const cleanups = [];
  try {
    writeFileSync(join(dir, 'cascadence.config.json'), JSON.stringify({ temporal: { address: server.address } }));
    const worker = await createWorker({ address: server.address, taskQueue: 'cascadence', tasks: [exampleTask], logger: silentLogger });
    worker.start();
    cleanups.push(() => worker.shutdown());

    const contenders = {
      'node -e 0': ['-e', '0'],
      'import @temporalio/client': ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(clientEntry).href)})`],
      'import @cascadence/temporal': ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(temporalEntry).href)})`],
      'task run example (local)': [taskBin, 'run', 'example'],
      'task run example --backend temporal': [taskBin, 'run', 'example', '--backend', 'temporal'],
    };
    const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
    for (const args of Object.values(contenders)) await processMs(args, dir); // warm the file cache
    for (let r = 0; r < reps; r++) for (const [name, args] of Object.entries(contenders)) samples[name].push(await processMs(args, dir));
    const node = median(samples['node -e 0']);
    const local = median(samples['task run example (local)']);
    const rows = Object.entries(samples).map(([name, values]) => ({
      case: `process: ${name}`,
      value: median(values),
      unit: 'ms (median)',
      ratio: median(values) / node,
      baseline: 'node -e 0',
    }));
    rows.push({
      case: 'process: temporal run minus local run',
      value: median(samples['task run example --backend temporal']) - local,
      unit: 'ms',
    });

    // In process: a fresh backend per round, so its first start() opens the connection.
    const phases = { first: [], again: [], result: [] };
    for (let r = 0; r < reps; r++) {
      const backend = new TemporalBackend({ address: server.address, taskQueue: 'cascadence', logger: silentLogger });
      let t0 = performance.now();
      let handle = await backend.start(exampleTask, { name: 'bench' });
      phases.first.push(performance.now() - t0);
      await handle.result();
      t0 = performance.now();
      handle = await backend.start(exampleTask, { name: 'bench' });
      phases.again.push(performance.now() - t0);
      t0 = performance.now();
      await handle.result();
      phases.result.push(performance.now() - t0);
      await backend.close();
    }
    const again = median(phases.again);
    rows.push(
      { case: 'in process: connection (first start() minus a later one)', value: median(phases.first) - again, unit: 'ms (median)' },
      { case: 'in process: workflow start (start() on an open connection)', value: again, unit: 'ms (median)' },
      {
        case: 'in process: start to result (first workflow task, activity, completion)',
        value: median(phases.result),
        unit: 'ms (median)',
      },
    );
    return rows;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
