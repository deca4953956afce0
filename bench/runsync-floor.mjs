// How low can `runSync` of the 5-step diamond go while RunResult keeps what it promises? A minimal
// driver, hard-wired to this one flow (no state machine, trigger rules, events, retries or
// checks), that still makes what a run must: a UUIDv7 run id, one clock reading at the start and
// one per step end (per-step startedAt/durationMs), a ctx and a prototype-less ctx.results per
// step, a StepResult per step, the steps record and the result — beside the engine, in CPU time.
//
//   node bench/runsync-floor.mjs
import { Engine, defineFlow, newRunId, silentLogger } from '@cascadence/core';
import { diamondSteps, read } from './suites/lib/service-workload.mjs';

const ids = ['a', 'b', 'c', 'd', 'z'];
const needs = [[], [0], [0], [1, 2], [3]];
class Ctx {
  constructor(runId, i, results) {
    this.runId = runId;
    this.stepId = ids[i];
    this.attempt = 1;
    this.results = results;
  }
}
function minimalRun(makeId) {
  const runId = makeId();
  const t0 = performance.now();
  let t = t0;
  const outputs = new Array(5);
  const times = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 5; i++) {
    times[i] = t;
    const results = Object.setPrototypeOf({}, null);
    for (const need of needs[i]) results[ids[need]] = outputs[need];
    outputs[i] = read(new Ctx(runId, i, results));
    t = performance.now();
    times[5 + i] = t;
  }
  const steps = {};
  for (let i = 0; i < 5; i++) {
    steps[ids[i]] = {
      status: 'succeeded',
      output: outputs[i],
      error: undefined,
      attempts: 1,
      startedAt: times[i],
      durationMs: times[5 + i] - times[i],
    };
  }
  return {
    runId,
    task: 'diamond',
    status: 'succeeded',
    output: { z: outputs[4] },
    error: undefined,
    steps,
    startedAt: t0,
    durationMs: t - t0,
  };
}

const engine = new Engine({ logger: silentLogger });
const flow = defineFlow({ name: 'diamond', steps: diamondSteps(read) });
const contenders = {
  'engine.runSync': () => engine.runSync(flow),
  'minimal driver': () => minimalRun(newRunId),
  'minimal driver, constant id': () => minimalRun(() => 'id'),
};
const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const N = 100_000;
const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let round = 0; round < 11; round++) {
  for (const [name, fn] of Object.entries(contenders)) {
    const t0 = cpuUs();
    for (let i = 0; i < N; i++) fn();
    if (round >= 2) samples[name].push((cpuUs() - t0) / N);
  }
}
for (const [name, values] of Object.entries(samples)) {
  values.sort((a, b) => a - b);
  console.log(`${name}: ${values[values.length >> 1].toFixed(2)} µs/run (CPU, median of ${values.length})`);
}
