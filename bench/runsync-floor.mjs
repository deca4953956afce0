// How low can `runSync` of the 5-step diamond go while RunResult keeps what it promises? A minimal
// driver, hard-wired to this one flow (no state machine, trigger rules, events, retries or
// checks), that still makes what a run must: a UUIDv7 run id, one clock reading at the start and
// one per step end (per-step startedAt/durationMs), a ctx and a prototype-less ctx.results per
// step, a StepResult per step, the steps record and the result — beside the engine, in CPU time.
// The last rows relax one promise each, to show what it costs (none of them is today's format).
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
/** Made with `new`: a fast-mode object whose prototype (frozen, itself prototype-less) is not null. */
function ResultsWithBarePrototype() {}
ResultsWithBarePrototype.prototype = Object.freeze(Object.create(null));
const nullResults = () => Object.setPrototypeOf({}, null);
const bareProtoResults = () => new ResultsWithBarePrototype();

/**
 * The floor, and what each promise of the format costs: `makeResults` (today: a prototype-less
 * object), `stepClock` (a clock reading per step end, for per-step startedAt/durationMs) and
 * `stepsRecord` (RunResult.steps built with the result, not when first read).
 */
function minimalRun(makeId, makeResults = nullResults, stepClock = true, stepsRecord = true) {
  const runId = makeId();
  const t0 = performance.now();
  let t = t0;
  const outputs = new Array(5);
  const times = [0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 5; i++) {
    times[i] = t;
    const results = makeResults();
    for (const need of needs[i]) results[ids[need]] = outputs[need];
    outputs[i] = read(new Ctx(runId, i, results));
    if (stepClock) t = performance.now();
    times[5 + i] = t;
  }
  if (!stepClock) t = performance.now();
  let steps;
  if (stepsRecord) {
    steps = {};
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
  // What each part of the format costs (none of these is what RunResult / ctx.results are today):
  'minimal driver, ctx.results with a bare prototype instead of none': () => minimalRun(newRunId, bareProtoResults),
  'minimal driver, no per-step clock readings': () => minimalRun(newRunId, nullResults, false),
  'minimal driver, no steps record (built when read)': () => minimalRun(newRunId, nullResults, true, false),
  'minimal driver, all four relaxed (constant id)': () => minimalRun(() => 'id', bareProtoResults, false, false),
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
