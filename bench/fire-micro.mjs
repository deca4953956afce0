// scratch: cost of a slice of LocalBackend fires, with and without a shared signal
import { defineTask, Engine, LocalBackend } from '@cascadence/core';
const N = Number(process.argv[2] ?? 10000);
const tasks = [];
for (let i = 0; i < N; i++) tasks.push(defineTask({ name: `job-${i}`, run: () => i }));
const backend = new LocalBackend(new Engine({ logger: { debug() {}, info() {}, warn() {}, error() {} } }));
const ac = new AbortController();
const withSig = { signal: ac.signal, trigger: { kind: 'schedule', schedule: 'x' } };
const noSig = { trigger: { kind: 'schedule', schedule: 'x' } };
async function round(opts) {
  const t0 = performance.now();
  const ps = new Array(N);
  for (let i = 0; i < N; i++) ps[i] = backend.run(tasks[i], undefined, opts);
  const t1 = performance.now();
  await Promise.all(ps);
  const t2 = performance.now();
  return [(t1 - t0) * 1000 / N, (t2 - t0) * 1000 / N];
}
for (let r = 0; r < 6; r++) {
  const a = await round(withSig); const b = await round(noSig);
  console.log(`signal: start ${a[0].toFixed(2)} total ${a[1].toFixed(2)} µs/fire | no signal: start ${b[0].toFixed(2)} total ${b[1].toFixed(2)}`);
}
