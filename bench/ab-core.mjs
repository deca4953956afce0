// A/B of two builds of @cascadence/core in one process, interleaved round by round, so that the
// load of a shared machine hits both alike. Times are this process's CPU time per case (user +
// system: other processes on a loaded machine do not stretch it; it does count the GC's helper
// threads), or wall time with AB_CLOCK=wall; medians over the rounds (p10-p90 beside them).
//
//   cp -r packages/core/dist /tmp/core-base     # before the change (a build of the base commit)
//   node --expose-gc bench/ab-core.mjs /tmp/core-base [rounds] [service|chain|all]
//
// The "new" build is this checkout's packages/core/dist (or the dist folder in AB_NEW_DIST).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { asyncRead, concurrently, diamondSteps, handWritten, heapPerRun, read } from './suites/lib/service-workload.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const [baseDir, roundsArg, only = 'all'] = process.argv.slice(2);
if (baseDir === undefined) {
  console.error('usage: node --expose-gc ab-core.mjs <dist folder of the base build> [rounds] [service|chain|all]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 9);
const builds = {
  base: await import(pathToFileURL(join(resolve(baseDir), 'index.js')).href),
  new: await import(pathToFileURL(join(process.env.AB_NEW_DIST ?? join(here, '..', 'packages', 'core', 'dist'), 'index.js')).href),
};

const clockMs =
  process.env.AB_CLOCK === 'wall'
    ? () => performance.now()
    : () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1000;
      };
const heapPerRunOrNaN = async (count, start) => (await heapPerRun(count, start)) ?? NaN;

/** Cases per build: name -> { fn, per } (per: units the time is divided by, and the unit). */
function cases(core, tag) {
  const { Engine, defineFlow, defineTask, silentLogger } = core;
  const engine = new Engine({ logger: silentLogger });
  const diamond = (name, run) => defineFlow({ name, steps: diamondSteps(run) });
  const flow = diamond(`diamond-${tag}`, asyncRead);
  const syncFlow = diamond(`diamond-sync-${tag}`, read);
  const single = defineTask({ name: `single-${tag}`, run: async () => 1 });
  const out = {};
  if (only === 'all' || only === 'service') {
    out['1,000 concurrent 5-step runs'] = {
      fn: async () => {
        for (let k = 0; k < 5; k++) await concurrently(1_000, () => engine.run(flow));
      },
      per: [5_000, 'µs/run'],
    };
    out['10,000 concurrent 5-step runs'] = { fn: () => concurrently(10_000, () => engine.run(flow)), per: [10_000, 'µs/run'] };
    out['single-task engine.run (1,000 at once)'] = {
      fn: async () => {
        for (let k = 0; k < 5; k++) await concurrently(1_000, () => engine.run(single));
      },
      per: [5_000, 'µs/run'],
    };
    out['runSync of the 5-step flow'] = {
      fn: () => {
        for (let i = 0; i < 5_000; i++) engine.runSync(syncFlow);
      },
      per: [5_000, 'µs/run'],
    };
    out['heap per in-flight 5-step run'] = { heap: () => heapPerRunOrNaN(10_000, () => engine.run(flow)) };
  }
  if (only === 'all' || only === 'chain') {
    const size = 100_000;
    const reading = {};
    const plain = {};
    const noop = () => undefined;
    for (let i = 0; i < size; i++) {
      const need = `s${i - 1}`;
      reading[`s${i}`] = i === 0 ? { run: () => 0 } : { needs: [need], run: (ctx) => ctx.results[need] + 1 };
      plain[`s${i}`] = i === 0 ? { run: noop } : { needs: [need], run: noop };
    }
    const readingFlow = defineFlow({ name: `chain-reading-${tag}`, steps: reading });
    const plainFlow = defineFlow({ name: `chain-${tag}`, steps: plain });
    out['100k chain runSync, no reads'] = { fn: () => engine.runSync(plainFlow), per: [size, 'µs/step'] };
    out['100k chain runSync, reading ctx.results'] = { fn: () => engine.runSync(readingFlow), per: [size, 'µs/step'] };
    out['defineFlow of the 100k chain'] = { fn: () => defineFlow({ name: `chain-define-${tag}`, steps: plain }), per: [1, 'ms'] };
    out['first runSync of a fresh 100k chain'] = {
      timed: () => {
        const fresh = defineFlow({ name: `chain-fresh-${tag}`, steps: plain });
        const t0 = clockMs();
        new Engine({ logger: silentLogger }).runSync(fresh);
        return clockMs() - t0;
      },
      per: [1, 'ms'],
    };
  }
  return out;
}

const perBuild = { base: cases(builds.base, 'a'), new: cases(builds.new, 'b') };
const samples = {};
const hand = [];
for (let round = 0; round < rounds + 2; round++) {
  const order = round % 2 === 0 ? ['base', 'new'] : ['new', 'base'];
  for (const name of Object.keys(perBuild.base)) {
    // Heap figures are taken after the timed rounds: their forced GCs would tax the next case.
    if (perBuild.base[name].heap && round < rounds + 1) continue;
    for (const build of order) {
      const c = perBuild[build][name];
      let value;
      if (c.heap) value = await c.heap();
      else if (c.timed) value = c.timed();
      else {
        const t0 = clockMs();
        await c.fn();
        value = clockMs() - t0;
      }
      if (round >= 2 || c.heap)
        (samples[`${name}|${build}`] ??= []).push(c.heap ? value : (value * (c.per[1] === 'ms' ? 1 : 1000)) / c.per[0]);
    }
    if (name === '1,000 concurrent 5-step runs' && round >= 2) {
      const t0 = clockMs();
      for (let k = 0; k < 5; k++) await concurrently(1_000, handWritten);
      hand.push((clockMs() - t0) / 5);
    }
  }
  process.stderr.write(`round ${round + 1}/${rounds + 2}\n`);
}
const q = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
console.log(`case | base | new | new/base   (median, p10-p90; ${rounds} rounds)`);
for (const name of Object.keys(perBuild.base)) {
  const a = samples[`${name}|base`];
  const b = samples[`${name}|new`];
  const unit = perBuild.base[name].heap ? 'B' : perBuild.base[name].per[1];
  console.log(
    `${name} | ${fmt(q(a, 0.5))} (${fmt(q(a, 0.1))}-${fmt(q(a, 0.9))}) | ${fmt(q(b, 0.5))} (${fmt(q(b, 0.1))}-${fmt(q(b, 0.9))}) ${unit} | ${(q(b, 0.5) / q(a, 0.5)).toFixed(2)}x`,
  );
}
if (hand.length > 0) console.log(`hand-written async functions, 1,000 at once | ${fmt(q(hand, 0.5))} µs/run (median)`);
