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
import { defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, createWorker } from '@cascadence/temporal';
import { NO_BINARY_ROW, alternating, withDevServer } from './lib/temporal.mjs';

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

export async function run({ quick }) {
  const warmup = quick ? 2 : 3;
  const reps = quick ? 5 : 15;
  const rows = await withDevServer('temporal', async ({ server, binary, cleanups, client: connect, handWorker }) => {
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
    await handWorker('bench-hand-written', HAND_WRITTEN, { work: async (results) => body(results) });
    const client = await connect();

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

    const { medians } = await alternating(contenders, { warmup, reps });
    const hand = medians['hand-written workflow'];
    const ours = medians.TemporalBackend;
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
    await handWorker('bench-hand-chains', HAND_WRITTEN_CHAINS, { add: async (value) => value + 1 });
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
    const chainMedians = (await alternating(chainContenders, { warmup, reps })).medians;
    const regularChainMs = chainMedians['hand-written regular chain'];
    const shortChainMs = chainMedians['TemporalBackend short chain'];
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
  });
  return rows ?? [NO_BINARY_ROW];
}
