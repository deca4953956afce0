// Shared helpers for benchmark suites: seeded random numbers, medians, timing.

/** mulberry32: a small seeded PRNG so every run benchmarks the same graphs. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random DAG: each step needs 0-3 distinct earlier steps. Returns needs as index lists. */
export function randomDag(size, seed = 42) {
  const random = seededRandom(seed);
  const needs = [];
  for (let i = 0; i < size; i++) {
    const count = i === 0 ? 0 : Math.floor(random() * 4);
    const own = new Set();
    for (let k = 0; k < count; k++) own.add(Math.floor(random() * i));
    needs.push([...own]);
  }
  return needs;
}

export function chain(size) {
  return Array.from({ length: size }, (_, i) => (i === 0 ? [] : [i - 1]));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Times each contender `reps` times, interleaved (A B C A B C ...) so drift in machine load hits
 * all of them alike; returns the median milliseconds per contender. No forced gc() between runs:
 * a full collection shrinks the young generation and taxes whichever contender runs next.
 *
 * `clock: 'cpu'` counts the process's CPU time (user + system, GC threads included) instead of
 * wall time: for contenders that only compute, it leaves out the time other processes held the
 * cores, so a shared machine gives stable ratios. `batch` calls a contender that many times per
 * sample (for calls too short to time one by one) and reports ms per call.
 */
const clocks = {
  wall: () => performance.now(),
  cpu: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};

export async function interleaved(contenders, { warmup = 3, reps = 11, timed = {}, clock = 'wall', batch = 1 } = {}) {
  const read = clocks[clock];
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let round = 0; round < warmup + reps; round++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const t0 = read();
      let own;
      for (let b = 0; b < batch; b++) own = await fn();
      // A contender listed in `timed` measures itself (its setup is not counted) and returns ms.
      const ms = timed[name] ? own : (read() - t0) / batch;
      if (round >= warmup) samples[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}
