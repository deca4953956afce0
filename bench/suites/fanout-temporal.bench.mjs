// Dynamic fan-out on Temporal (issue 19): a flow whose `map` step runs 1,000 short items through
// TemporalBackend (one activity per item, 16 at a time, inside the DAG interpreter workflow),
// beside a hand-written workflow doing the same fan-out (16 lanes awaiting one activity each).
// Same dev server, runs alternating; medians of wall time per run. Target: ≤ 1.2x.
import { defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, createWorker } from '@cascadence/temporal';
import { NO_BINARY_ROW, alternating, withDevServer } from './lib/temporal.mjs';

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
  const size = quick ? 200 : 1000;
  const warmup = 1;
  const reps = quick ? 3 : 5;
  const items = Array.from({ length: size }, (_, k) => k);
  const rows = await withDevServer('temporal-map', async ({ server, cleanups, client: connect, handWorker }) => {
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
    await handWorker('bench-map-hand', HAND_WRITTEN, { work: async (k) => k * 2 });
    const client = await connect();

    let handId = 0;
    const { medians } = await alternating(
      {
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
      },
      { warmup, reps },
    );
    const hand = medians['hand-written workflow'];
    const ours = medians.TemporalBackend;
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
  });
  return rows ?? [NO_BINARY_ROW];
}
