// @cascadence/temporal overhead: a 50-step flow (10 layers of 5 steps, each step needing every
// step of the layer before) run on a real Temporal dev server through TemporalBackend (the generic
// DAG interpreter workflow + the step-dispatching activity), beside a hand-written Temporal
// workflow that calls the same step bodies as plain activities, layer by layer with Promise.all.
// Same server, same process, runs alternating; medians of wall time per run.
// Target: TemporalBackend at most 1.0x the hand-written workflow (within the noise of one run). No server binary: one row
// saying so (skipped), not a crash.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, createWorker, findTemporalBinary, startDevServer } from '@cascadence/temporal';

// @temporalio/* come with @cascadence/temporal: load them from there, as its worker does.
const temporalEntry = fileURLToPath(import.meta.resolve('@cascadence/temporal'));
const requireFromTemporal = createRequire(temporalEntry);
const { Worker, NativeConnection, DefaultLogger, Runtime, bundleWorkflowCode } = requireFromTemporal('@temporalio/worker');
const { Client, Connection } = requireFromTemporal('@temporalio/client');

const LAYERS = 10;
const WIDTH = 5;

/** The body of every step: sum of the needed outputs, plus one. */
const body = (results) => Object.values(results).reduce((sum, value) => sum + value, 0) + 1;

function layeredFlow() {
  const steps = {};
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let k = 0; k < WIDTH; k++) {
      steps[`s${layer}_${k}`] = {
        needs: layer === 0 ? [] : Array.from({ length: WIDTH }, (_, j) => `s${layer - 1}_${j}`),
        run: (ctx) => body(ctx.results),
      };
    }
  }
  return defineFlow({ name: 'bench-50', steps });
}

const HAND_WRITTEN = `
import { proxyActivities } from '@temporalio/workflow';
const { work } = proxyActivities({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } });
export async function handWritten(layers) {
  let previous = {};
  for (const layer of layers) {
    const outputs = await Promise.all(layer.map((id) => work(previous)));
    previous = Object.fromEntries(layer.map((id, k) => [id, outputs[k]]));
  }
  return previous;
}
`;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export async function run({ quick }) {
  const binary = findTemporalBinary();
  if (binary === undefined) {
    return [{ case: 'skipped: no temporal binary (see packages/temporal/README.md, "Getting a server")', value: 0, unit: '' }];
  }
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // already installed
  }
  const warmup = quick ? 2 : 3;
  const reps = quick ? 5 : 15;
  const server = await startDevServer({ binary });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cascadence-bench-temporal-'));
  const cleanups = [];
  try {
    const flow = layeredFlow();
    const layers = Array.from({ length: LAYERS }, (_, layer) => Array.from({ length: WIDTH }, (_, k) => `s${layer}_${k}`));

    // Cascadence: TemporalBackend + createWorker.
    const cascadenceWorker = await createWorker({ address: server.address, taskQueue: 'bench-cascadence', tasks: [flow], logger: silentLogger });
    cascadenceWorker.start();
    cleanups.push(() => cascadenceWorker.shutdown());
    const backend = new TemporalBackend({ address: server.address, taskQueue: 'bench-cascadence' });
    cleanups.push(() => backend.close());

    // Hand-written: a plain workflow and a plain activity with the same step body.
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
      taskQueue: 'bench-hand-written',
      workflowBundle: { code: bundle.code },
      activities: { work: async (results) => body(results) },
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
        const out = await client.workflow.execute('handWritten', { taskQueue: 'bench-hand-written', workflowId: `hand-${handId++}`, args: [layers] });
        if (out[`s${LAYERS - 1}_0`] === undefined) throw new Error('hand-written workflow returned nothing');
      },
      TemporalBackend: async () => {
        const result = await backend.run(flow);
        if (result.status !== 'succeeded') throw new Error(`TemporalBackend run ${result.status}: ${result.error?.message}`);
      },
    };
    // The outputs agree (the same computation either way).
    const check = await backend.run(flow);
    const expected = await client.workflow.execute('handWritten', { taskQueue: 'bench-hand-written', workflowId: 'hand-check', args: [layers] });
    if (JSON.stringify(check.output) !== JSON.stringify(Object.fromEntries(Object.entries(expected).filter(([id]) => id.startsWith(`s${LAYERS - 1}_`))))) {
      throw new Error('TemporalBackend and the hand-written workflow disagree');
    }

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
      { case: `hand-written workflow, ${LAYERS * WIDTH} steps (dev server ${binary})`, value: hand, unit: 'ms/run' },
      { case: `TemporalBackend, same ${LAYERS * WIDTH}-step flow`, value: ours, unit: 'ms/run', ratio, baseline: 'hand-written', target: '<= 1.00x', met: ratio <= 1.0 },
      { case: 'TemporalBackend per step', value: ours / (LAYERS * WIDTH), unit: 'ms/step' },
    ];
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
