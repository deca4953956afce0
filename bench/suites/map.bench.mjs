// Dynamic fan-out: a flow whose `map` step runs 10,000 no-op async items, 16 at a time, beside the
// same items through a hand-written Promise.all over 16 workers (the baseline) and through p-map
// (a peer), in this same process. Issue 19's target: the engine within 1.5x the baseline.
import { Engine, defineFlow, silentLogger } from '@cascadence/core';
import pMap from 'p-map';
import { interleaved } from './lib.mjs';

const CONCURRENCY = 16;
const noopAsync = async (item) => item;

/** What a developer writes by hand: `limit` workers pulling the next index, under one Promise.all. */
async function promiseAllLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function run({ quick }) {
  const size = quick ? 2_000 : 10_000;
  const items = Array.from({ length: size }, (_, k) => k);
  const engine = new Engine({ logger: silentLogger });
  const flow = defineFlow({
    name: 'fan-out',
    steps: {
      list: { run: () => items },
      each: { needs: ['list'], map: 'list', concurrency: CONCURRENCY, run: (_ctx, item) => noopAsync(item) },
    },
  });
  // Sanity: the engine really ran every item (a bench of a wrong run is worthless).
  const check = await engine.run(flow);
  if (check.status !== 'succeeded' || check.steps.each.output.length !== size)
    throw new Error(`map bench: the flow did not run every item (${check.status})`);

  const times = await interleaved(
    {
      'Promise.all (16 workers)': () => promiseAllLimited(items, CONCURRENCY, noopAsync),
      'p-map': () => pMap(items, noopAsync, { concurrency: CONCURRENCY }),
      engine: () => engine.run(flow),
    },
    // CPU time, 20 runs per sample: every contender only computes, and one run is about a millisecond.
    { warmup: 3, reps: quick ? 5 : 15, clock: 'cpu', batch: 20 },
  );
  const base = times['Promise.all (16 workers)'];
  const label = `${size.toLocaleString('en-US')}-item map, no-op async items, concurrency ${CONCURRENCY}`;
  return Object.entries(times).map(([name, ms]) => ({
    case: `${label}: ${name}`,
    value: (ms * 1000) / size,
    unit: 'µs/item',
    ratio: ms / base,
    baseline: 'Promise.all (16 workers)',
    target: name === 'engine' ? '<= 1.50x' : undefined,
    met: name === 'engine' ? ms / base <= 1.5 : undefined,
  }));
}
