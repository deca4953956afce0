// @cascadence/metrics overhead: the core DAG benchmark (a seeded random DAG of no-op synchronous
// steps, each needing 0-3 random earlier steps, run with unbounded concurrency) on three engines
// in the same process, runs alternating: no instrumentation, no-op event listeners (what the
// core's events cost on their own) and instrument() attached. Medians of per-step cost.
import { defineFlow, defineTask, Engine, silentLogger } from '@cascadence/core';
import { createMetrics } from '@cascadence/metrics';

/** Mulberry32: small, fast, seeded. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomDag(size, seed = 42) {
  const random = prng(seed);
  const noop = defineTask({ name: 'noop', run: () => 1 });
  const steps = {};
  for (let i = 0; i < size; i++) {
    const needs = new Set();
    const count = i === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < count; k++) needs.add(`s${Math.floor(random() * i)}`);
    steps[`s${i}`] = { task: noop, needs: [...needs] };
  }
  return defineFlow({ name: 'random-dag', steps });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export async function run({ quick }) {
  const size = quick ? 2_000 : 10_000;
  const warmup = quick ? 3 : 10;
  const reps = quick ? 9 : 41;
  const flow = randomDag(size);

  const plain = new Engine({ logger: silentLogger });
  const listeners = new Engine({ logger: silentLogger });
  for (const type of ['step:start', 'step:success', 'step:failure', 'step:retry', 'step:skip', 'run:start', 'run:end']) {
    listeners.events.on(type, () => {});
  }
  const instrumented = new Engine({ logger: silentLogger });
  const metrics = createMetrics();
  const detach = metrics.instrument(instrumented);

  const cases = [
    { name: 'none', engine: plain, times: [] },
    { name: 'listeners', engine: listeners, times: [] },
    { name: 'instrumented', engine: instrumented, times: [] },
  ];
  const once = async (engine) => {
    if (process.env.BENCH_GC === '1') globalThis.gc?.();
    const t0 = performance.now();
    const result = await engine.run(flow, undefined, { concurrency: Infinity });
    const ms = performance.now() - t0;
    if (result.status !== 'succeeded') throw new Error(`bench run ${result.status}: ${result.error?.message}`);
    return ms;
  };
  for (let i = 0; i < warmup; i++) for (const c of cases) await once(c.engine);
  // Alternate the cases, rotating which goes first, so drift on a shared machine hits all alike.
  for (let i = 0; i < reps; i++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(i + k) % cases.length];
      c.times.push(await once(c.engine));
    }
  }

  // The instrumentation really counted: every step succeeded once per instrumented run.
  const runs = warmup + reps;
  const text = await metrics.text();
  const s0 = text.match(/^task_success_total\{task="noop",flow="random-dag",step="s0"\} (\d+)$/m)?.[1];
  if (Number(s0) !== runs) throw new Error(`metrics bench: expected task_success_total for s0 = ${runs}, got ${s0}`);
  detach();

  const perStep = (c) => (median(c.times) * 1e6) / size;
  const [none, listenersOnly, withMetrics] = cases.map(perStep);
  // Ratios are medians of per-repetition ratios (the cases of one repetition run back to back),
  // which drift on a shared machine disturbs less than a ratio of medians.
  const paired = (c) => median(c.times.map((t, i) => t / cases[0].times[i]));
  const ratio = paired(cases[2]);
  const listenersRatio = paired(cases[1]);
  const overListeners = median(cases[2].times.map((t, i) => t / cases[1].times[i]));
  const label = `dag ${size / 1000}k steps`;
  return [
    { case: `${label}, no instrumentation`, value: none, unit: 'ns/step' },
    {
      case: `${label}, no-op event listeners (core event cost)`,
      value: listenersOnly,
      unit: 'ns/step',
      ratio: listenersRatio,
      baseline: 'no instrumentation',
    },
    {
      case: `${label}, instrument() attached`,
      value: withMetrics,
      unit: 'ns/step',
      ratio,
      baseline: 'no instrumentation',
      target: '<= 1.30x',
      met: ratio <= 1.3,
    },
    {
      case: `${label}, instrument() over no-op listeners`,
      value: withMetrics - listenersOnly,
      unit: 'ns/step added',
      ratio: overListeners,
      baseline: 'no-op listeners',
    },
  ];
}
