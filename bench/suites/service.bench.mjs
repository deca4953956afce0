// The engine at service scale: many small flows at once, one per request. A 5-step diamond
// (a -> b, c -> d -> z; async no-op steps reading ctx.results) run 1,000 and 10,000 times
// concurrently, beside hand-written async functions and p-graph in this same process; the heap
// held per in-flight run; a single-task run; runSync of the same flow with synchronous steps.
import { Engine, defineFlow, defineTask, silentLogger } from '@cascadence/core';
import { PGraph } from 'p-graph';
import { interleaved } from './lib.mjs';
import { asyncRead, concurrently, diamondSteps, handWritten, heapPerRun, read } from './lib/service-workload.mjs';

/** BENCH_CLOCK=wall and BENCH_BATCH=1 give this suite's measurement before 12-02 s30 (wall time, one batch). */
const SERVICE_CLOCK = process.env.BENCH_CLOCK === 'wall' ? 'wall' : 'cpu';
const SERVICE_BATCH = Number(process.env.BENCH_BATCH ?? 10);

function diamond(name, run) {
  return defineFlow({ name, steps: diamondSteps(run) });
}

function pGraph() {
  const out = {};
  const node = (id, needs) => ({
    run: async () => {
      let n = 0;
      for (const k of needs) n += out[k];
      out[id] = n + 1;
    },
  });
  const nodes = new Map([
    ['a', node('a', [])],
    ['b', node('b', ['a'])],
    ['c', node('c', ['a'])],
    ['d', node('d', ['b', 'c'])],
    ['z', node('z', ['d'])],
  ]);
  return new PGraph(nodes, [
    ['a', 'b'],
    ['a', 'c'],
    ['b', 'd'],
    ['c', 'd'],
    ['d', 'z'],
  ]).run({ concurrency: Infinity });
}

export async function run({ quick }) {
  const rows = [];
  const engine = new Engine({ logger: silentLogger });
  const flow = diamond('diamond', asyncRead);
  const syncFlow = diamond('diamond-sync', read);
  const single = defineTask({ name: 'single', run: async () => 1 });
  const reps = quick ? 5 : 15;

  for (const count of quick ? [1_000] : [1_000, 10_000]) {
    const times = await interleaved(
      {
        engine: () => concurrently(count, () => engine.run(flow)),
        'hand-written async functions': () => concurrently(count, handWritten),
        'p-graph': () => concurrently(count, pGraph),
      },
      // CPU time of this process (other processes on a loaded machine do not stretch it), and 1,000
      // runs timed in batches of 10: one batch of hand-written runs is ~0.5 ms, too short to time alone.
      { warmup: 3, reps, clock: SERVICE_CLOCK, batch: count < 10_000 ? SERVICE_BATCH : 1 },
    );
    const base = times['hand-written async functions'];
    const target = count >= 10_000 ? 3 : 5;
    for (const [name, ms] of Object.entries(times)) {
      const perRun = (ms * 1000) / count;
      rows.push({
        case: `${count.toLocaleString('en-US')} concurrent 5-step runs: ${name}`,
        value: perRun,
        unit: 'µs/run',
        ratio: ms / base,
        baseline: 'hand-written',
        target: name === 'engine' ? `<= ${target}x${count >= 10_000 ? ', <= 5 µs/run' : ''}` : undefined,
        met: name === 'engine' ? ms / base <= target && (count < 10_000 || perRun <= 5) : undefined,
      });
    }
  }

  const heapCount = quick ? 2_000 : 10_000;
  const heapEngine = await heapPerRun(heapCount, () => engine.run(flow));
  const heapHand = await heapPerRun(heapCount, handWritten);
  if (heapEngine !== undefined) {
    rows.push({
      case: 'heap per in-flight 5-step run: engine',
      value: Math.round(heapEngine),
      unit: 'B',
      ratio: heapEngine / heapHand,
      baseline: 'hand-written',
      target: '<= 2048 B',
      met: heapEngine <= 2048,
    });
    rows.push({ case: 'heap per in-flight 5-step run: hand-written', value: Math.round(heapHand), unit: 'B' });
  }

  const small = await interleaved(
    {
      'single-task engine.run': () => concurrently(1_000, () => engine.run(single)),
      'runSync, same flow, sync steps': () => {
        for (let i = 0; i < 1_000; i++) engine.runSync(syncFlow);
      },
      'hand-written async functions': () => concurrently(1_000, handWritten),
    },
    { warmup: 3, reps, clock: SERVICE_CLOCK, batch: SERVICE_BATCH },
  );
  const singleUs = small['single-task engine.run'];
  const syncUs = small['runSync, same flow, sync steps'];
  rows.push({ case: 'single-task engine.run', value: singleUs, unit: 'µs/run', target: '<= 1.5 µs', met: singleUs <= 1.5 });
  rows.push({ case: 'runSync of the 5-step flow (sync steps)', value: syncUs, unit: 'µs/run', target: '<= 1 µs', met: syncUs <= 1 });
  return rows;
}
