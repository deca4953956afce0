// @cascadence/temporal overhead: a 50-step flow (10 layers of 5 steps, each step needing every
// step of the layer before) run on a real Temporal dev server through TemporalBackend (the generic
// DAG interpreter workflow + the step-dispatching activity), beside a hand-written Temporal
// workflow that calls the same step bodies as plain activities, layer by layer with Promise.all.
// Same server, same process, runs alternating; medians of wall time per run.
// Target: TemporalBackend at most 1.0x the hand-written workflow (within the noise of one run).
// Short steps (issue 16): a 50-step chain of steps declaring timeoutMs (≤ localStepMaxTimeoutMs:
// local activities) beside a hand-written workflow calling 50 regular activities one after the
// other — target ≤ 0.3x; and throughput, 5-step chains of short steps completed per second by one
// worker (20 in flight), beside a hand-written workflow of 5 local activities (the equivalent).
// No server binary: one row saying so (skipped), not a crash.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, createWorker } from '@cascadence/temporal';
import { findTemporalBinary, startDevServer } from '@cascadence/temporal/testing';

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

const CHAIN = 50;
const THROUGHPUT_STEPS = 5;
const IN_FLIGHT = 20;

/** A chain of `n` short steps (timeoutMs 5 s: local activities), each adding one. */
function shortChain(name, n) {
  const steps = {};
  for (let i = 0; i < n; i++) {
    steps[`c${i}`] = { timeoutMs: 5000, needs: i === 0 ? [] : [`c${i - 1}`], run: (ctx) => (i === 0 ? 1 : ctx.results[`c${i - 1}`] + 1) };
  }
  return defineFlow({ name, steps });
}

const HAND_WRITTEN_CHAINS = `
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
const regular = proxyActivities({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } });
const local = proxyLocalActivities({ startToCloseTimeout: '5 seconds', retry: { maximumAttempts: 1 } });
export async function regularChain(n) {
  let value = 0;
  for (let i = 0; i < n; i++) value = await regular.add(value);
  return value;
}
export async function localChain(n) {
  let value = 0;
  for (let i = 0; i < n; i++) value = await local.add(value);
  return value;
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
    const cascadenceWorker = await createWorker({
      address: server.address,
      taskQueue: 'bench-cascadence',
      tasks: [flow],
      logger: silentLogger,
    });
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
        const out = await client.workflow.execute('handWritten', {
          taskQueue: 'bench-hand-written',
          workflowId: `hand-${handId++}`,
          args: [layers],
        });
        if (out[`s${LAYERS - 1}_0`] === undefined) throw new Error('hand-written workflow returned nothing');
      },
      TemporalBackend: async () => {
        const result = await backend.run(flow);
        if (result.status !== 'succeeded') throw new Error(`TemporalBackend run ${result.status}: ${result.error?.message}`);
      },
    };
    // The outputs agree (the same computation either way).
    const check = await backend.run(flow);
    const expected = await client.workflow.execute('handWritten', {
      taskQueue: 'bench-hand-written',
      workflowId: 'hand-check',
      args: [layers],
    });
    if (
      JSON.stringify(check.output) !==
      JSON.stringify(Object.fromEntries(Object.entries(expected).filter(([id]) => id.startsWith(`s${LAYERS - 1}_`))))
    ) {
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

    // Short steps: a 50-step chain, local activities vs hand-written regular activities.
    const chain = shortChain('bench-short-chain', CHAIN);
    const five = shortChain('bench-short-5', THROUGHPUT_STEPS);
    const shortWorker = await createWorker({
      address: server.address,
      taskQueue: 'bench-short',
      tasks: [chain, five],
      logger: silentLogger,
    });
    shortWorker.start();
    cleanups.push(() => shortWorker.shutdown());
    const shortBackend = new TemporalBackend({ address: server.address, taskQueue: 'bench-short' });
    cleanups.push(() => shortBackend.close());
    const chainsPath = path.join(dir, 'hand-written-chains.mjs');
    writeFileSync(chainsPath, HAND_WRITTEN_CHAINS);
    const chainsBundle = await bundleWorkflowCode({
      workflowsPath: chainsPath,
      logger: new DefaultLogger('ERROR'),
      webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [temporalModules, 'node_modules'] } }),
    });
    const chainConnection = await NativeConnection.connect({ address: server.address });
    const chainWorker = await Worker.create({
      connection: chainConnection,
      taskQueue: 'bench-hand-chains',
      workflowBundle: { code: chainsBundle.code },
      activities: { add: async (value) => value + 1 },
    });
    const chainRun = chainWorker.run();
    cleanups.push(async () => {
      chainWorker.shutdown();
      await chainRun;
      await chainConnection.close();
    });
    const handChain = async (type, n) =>
      client.workflow.execute(type, { taskQueue: 'bench-hand-chains', workflowId: `${type}-${handId++}`, args: [n] });
    const chainContenders = {
      'hand-written regular chain': async () => {
        if ((await handChain('regularChain', CHAIN)) !== CHAIN) throw new Error('hand-written chain: wrong result');
      },
      'TemporalBackend short chain': async () => {
        const result = await shortBackend.run(chain);
        if (result.status !== 'succeeded' || result.output[`c${CHAIN - 1}`] !== CHAIN)
          throw new Error(`short chain ${result.status}: ${result.error?.message}`);
      },
    };
    const chainSamples = Object.fromEntries(Object.keys(chainContenders).map((name) => [name, []]));
    for (let round = 0; round < warmup + reps; round++) {
      const names = Object.keys(chainContenders);
      if (round % 2 === 1) names.reverse();
      for (const name of names) {
        const t0 = performance.now();
        await chainContenders[name]();
        if (round >= warmup) chainSamples[name].push(performance.now() - t0);
      }
    }
    const regularChainMs = median(chainSamples['hand-written regular chain']);
    const shortChainMs = median(chainSamples['TemporalBackend short chain']);
    const chainRatio = shortChainMs / regularChainMs;

    // Throughput: 5-step flows completed per second with IN_FLIGHT at once, one worker each side.
    const flows = quick ? 60 : 200;
    const throughput = async (startOne) => {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < flows) {
            next++;
            await startOne();
          }
        }),
      );
      return flows / ((performance.now() - t0) / 1000);
    };
    const ourThroughput = await throughput(async () => {
      const result = await shortBackend.run(five);
      if (result.status !== 'succeeded') throw new Error(`5-step flow ${result.status}`);
    });
    const handThroughput = await throughput(async () => {
      if ((await handChain('localChain', THROUGHPUT_STEPS)) !== THROUGHPUT_STEPS) throw new Error('hand-written local chain: wrong result');
    });
    const throughputRatio = ourThroughput / handThroughput;

    return [
      { case: `hand-written workflow, ${LAYERS * WIDTH} steps (dev server ${binary})`, value: hand, unit: 'ms/run' },
      {
        case: `TemporalBackend, same ${LAYERS * WIDTH}-step flow`,
        value: ours,
        unit: 'ms/run',
        ratio,
        baseline: 'hand-written',
        target: '<= 1.00x',
        met: ratio <= 1.0,
      },
      { case: 'TemporalBackend per step', value: ours / (LAYERS * WIDTH), unit: 'ms/step' },
      { case: `hand-written workflow, ${CHAIN} regular activities in a chain`, value: regularChainMs, unit: 'ms/run' },
      {
        case: `TemporalBackend, ${CHAIN}-step chain of short steps (local activities)`,
        value: shortChainMs,
        unit: 'ms/run',
        ratio: chainRatio,
        baseline: 'hand-written regular chain',
        target: '<= 0.30x',
        met: chainRatio <= 0.3,
      },
      {
        case: `hand-written workflow, ${THROUGHPUT_STEPS} local activities, ${IN_FLIGHT} in flight`,
        value: handThroughput,
        unit: 'flows/s',
      },
      {
        case: `TemporalBackend, ${THROUGHPUT_STEPS}-step flow of short steps, ${IN_FLIGHT} in flight (ratio: flows/s over hand-written, higher is better)`,
        value: ourThroughput,
        unit: 'flows/s',
        ratio: throughputRatio,
        baseline: 'hand-written local activities',
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
