// Dynamic fan-out on Temporal (issue 19): a flow whose `map` step runs 1,000 short items through
// TemporalBackend (one activity per item, 16 at a time, inside the DAG interpreter workflow),
// beside a hand-written workflow doing the same fan-out (16 lanes awaiting one activity each).
// Same dev server, runs alternating; medians of wall time per run. Target: ≤ 1.2x.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, createWorker } from '@cascadence/temporal';
import { findTemporalBinary, startDevServer } from '@cascadence/temporal/testing';
import { median } from './lib.mjs';

const temporalEntry = fileURLToPath(import.meta.resolve('@cascadence/temporal'));
const requireFromTemporal = createRequire(temporalEntry);
const { Worker, NativeConnection, DefaultLogger, Runtime, bundleWorkflowCode } = requireFromTemporal('@temporalio/worker');
const { Client, Connection } = requireFromTemporal('@temporalio/client');

const CONCURRENCY = 16;

const HAND_WRITTEN = `
import { proxyActivities } from '@temporalio/workflow';
const { work } = proxyActivities({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } });
export async function fanOut(items, limit) {
  const out = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await work(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
`;

export async function run({ quick }) {
  const binary = findTemporalBinary();
  if (binary === undefined)
    return [{ case: 'skipped: no temporal binary (see packages/temporal/README.md, "Getting a server")', value: 0, unit: '' }];
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // already installed
  }
  const size = quick ? 200 : 1000;
  const warmup = 1;
  const reps = quick ? 3 : 5;
  const items = Array.from({ length: size }, (_, k) => k);
  const server = await startDevServer({ binary });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cascadence-bench-temporal-map-'));
  const cleanups = [];
  try {
    const flow = defineFlow({
      name: 'bench-map',
      steps: {
        list: { run: () => items },
        each: { needs: ['list'], map: 'list', concurrency: CONCURRENCY, run: (_ctx, k) => k * 2 },
      },
      output: (results) => results.each,
    });
    const cascadenceWorker = await createWorker({ address: server.address, taskQueue: 'bench-map', tasks: [flow], logger: silentLogger });
    cascadenceWorker.start();
    cleanups.push(() => cascadenceWorker.shutdown());
    const backend = new TemporalBackend({ address: server.address, taskQueue: 'bench-map' });
    cleanups.push(() => backend.close());

    const workflowsPath = path.join(dir, 'hand-written.mjs');
    writeFileSync(workflowsPath, HAND_WRITTEN);
    const temporalModules = path.resolve(path.dirname(requireFromTemporal.resolve('@temporalio/workflow/package.json')), '..', '..');
    const bundle = await bundleWorkflowCode({
      workflowsPath,
      logger: new DefaultLogger('ERROR'),
      webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [temporalModules, 'node_modules'] } }),
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const handWorker = await Worker.create({
      connection: nativeConnection,
      taskQueue: 'bench-map-hand',
      workflowBundle: { code: bundle.code },
      activities: { work: async (k) => k * 2 },
    });
    const handRun = handWorker.run();
    cleanups.push(async () => {
      handWorker.shutdown();
      await handRun;
      await nativeConnection.close();
    });
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    let handId = 0;
    const contenders = {
      'hand-written workflow': async () => {
        const out = await client.workflow.execute('fanOut', {
          taskQueue: 'bench-map-hand',
          workflowId: `hand-map-${handId++}`,
          args: [items, CONCURRENCY],
        });
        if (out.length !== size || out[size - 1] !== (size - 1) * 2) throw new Error('hand-written fan-out: wrong result');
      },
      TemporalBackend: async () => {
        const result = await backend.run(flow);
        if (result.status !== 'succeeded' || result.output.length !== size || result.output[size - 1] !== (size - 1) * 2)
          throw new Error(`TemporalBackend map run ${result.status}: ${result.error?.message}`);
      },
    };
    const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
    for (let round = 0; round < warmup + reps; round++) {
      const names = Object.keys(contenders);
      if (round % 2 === 1) names.reverse();
      for (const name of names) {
        const t0 = performance.now();
        await contenders[name]();
        if (round >= warmup) samples[name].push(performance.now() - t0);
      }
    }
    const hand = median(samples['hand-written workflow']);
    const ours = median(samples.TemporalBackend);
    const ratio = ours / hand;
    return [
      { case: `hand-written workflow, ${size}-item fan-out, ${CONCURRENCY} at a time (dev server)`, value: hand, unit: 'ms/run' },
      {
        case: `TemporalBackend, ${size}-item map step, concurrency ${CONCURRENCY}`,
        value: ours,
        unit: 'ms/run',
        ratio,
        baseline: 'hand-written',
        target: '<= 1.20x',
        met: ratio <= 1.2,
      },
    ];
  } finally {
    for (const cleanup of cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
