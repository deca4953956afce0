// Core engine throughput: a 10,000-step random DAG through `engine.run` and a 100,000-step chain
// through `engine.runSync`, each beside a hand-written baseline (topological order, one promise
// per step awaiting its dependencies) and beside p-graph, in this same process. Plus the costs
// that grow with flow size: reading ctx.results in a long chain, defining a long chain beside
// running it, and defining one step that needs 10k vs 100k steps (linear, not quadratic).
import { Engine, defineFlow, silentLogger } from '@cascadence/core';
import { PGraph } from 'p-graph';
import { chain, interleaved, randomDag } from './lib.mjs';

const noop = () => undefined;

function toSteps(needs, run = noop) {
  const steps = {};
  needs.forEach((own, i) => {
    steps[`s${i}`] = own.length === 0 ? { run } : { needs: own.map((j) => `s${j}`), run };
  });
  return steps;
}

function toFlow(name, needs, run = noop) {
  return defineFlow({ name, steps: toSteps(needs, run) });
}

/** Step i of a chain reads the output of step i-1, by name, as `ctx.results.fetch` would. */
function chainReading(size) {
  const steps = {};
  for (let i = 0; i < size; i++) {
    const need = `s${i - 1}`;
    steps[`s${i}`] = i === 0 ? { run: () => 0 } : { needs: [need], run: (ctx) => ctx.results[need] + 1 };
  }
  return steps;
}

/**
 * The same chain, each step a closure that uses its own need's id but not ctx.results: what any
 * per-step closure touching its own data costs, without the engine building ctx.results.
 */
function chainTouchingOwnId(size) {
  const steps = {};
  for (let i = 0; i < size; i++) {
    const need = `s${i - 1}`;
    steps[`s${i}`] = i === 0 ? { run: () => 0 } : { needs: [need], run: () => need.length };
  }
  return steps;
}

/** `sources` steps and one step that needs all of them. */
function fanInSteps(sources) {
  const steps = {};
  const ids = [];
  for (let i = 0; i < sources; i++) {
    steps[`s${i}`] = { run: noop };
    ids.push(`s${i}`);
  }
  steps.sink = { needs: ids, run: noop };
  return steps;
}

/** The baseline a careful developer writes by hand: a promise per step awaiting its needs. */
async function handWritten(needs) {
  const done = new Array(needs.length);
  for (let i = 0; i < needs.length; i++) {
    const own = needs[i];
    done[i] = own.length === 0 ? Promise.resolve().then(noop) : Promise.all(own.map((j) => done[j])).then(noop);
  }
  await Promise.all(done);
}

function pGraphRun(needs) {
  const nodes = new Map();
  const deps = [];
  needs.forEach((own, i) => {
    nodes.set(`s${i}`, { run: noop });
    for (const j of own) deps.push([`s${j}`, `s${i}`]);
  });
  return new PGraph(nodes, deps).run({ concurrency: Infinity });
}

/** This process's CPU time in ms (user + system), the clock of the chain comparisons below. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export async function run({ quick }) {
  const rows = [];
  const dagSize = quick ? 2_000 : 10_000;
  const chainSize = quick ? 20_000 : 100_000;

  const dagNeeds = randomDag(dagSize);
  const defineStart = performance.now();
  const dagFlow = toFlow('random-dag', dagNeeds);
  rows.push({ case: `defineFlow ${dagSize}-step DAG (validate, cycle check)`, value: performance.now() - defineStart, unit: 'ms' });

  const engine = new Engine({ logger: silentLogger, concurrency: Infinity });
  const listened = new Engine({ logger: silentLogger, concurrency: Infinity });
  let events = 0;
  listened.events.onAny(() => events++);
  const dag = await interleaved({
    engine: async () => {
      const result = await engine.run(dagFlow);
      if (result.status !== 'succeeded') throw new Error('engine run failed');
    },
    'engine + event listener': () => listened.run(dagFlow),
    'hand-written promises': () => handWritten(dagNeeds),
    'p-graph': () => pGraphRun(dagNeeds),
  });
  const dagLabel = `${dagSize}-step DAG, run()`;
  const base = dag['hand-written promises'];
  for (const [name, ms] of Object.entries(dag)) {
    rows.push({
      case: `${dagLabel}: ${name}`,
      value: Math.round((dagSize / ms) * 1000),
      unit: 'steps/s',
      ratio: ms / base,
      baseline: 'hand-written time',
      target: name === 'engine' ? '<= 1.10x' : undefined,
      met: name === 'engine' ? ms / base <= 1.1 : undefined,
    });
  }
  rows.push({
    case: `${dagLabel}: engine vs p-graph`,
    value: dag['p-graph'] / dag.engine,
    unit: 'x faster',
    target: '> 1x',
    met: dag.engine < dag['p-graph'],
  });

  const chainNeeds = chain(chainSize);
  const chainFlow = toFlow('chain', chainNeeds);
  const syncEngine = new Engine({ logger: silentLogger });
  const ch = await interleaved(
    {
      'engine runSync': () => {
        const result = syncEngine.runSync(chainFlow);
        if (result.status !== 'succeeded') throw new Error('runSync failed');
      },
      'hand-written promises': () => handWritten(chainNeeds),
      'p-graph': () => pGraphRun(chainNeeds),
    },
    { warmup: 1, reps: quick ? 3 : 5 },
  );
  const chainLabel = `${chainSize}-step chain, runSync()`;
  const chainBase = ch['hand-written promises'];
  for (const [name, ms] of Object.entries(ch)) {
    rows.push({
      case: `${chainLabel}: ${name}`,
      value: Math.round((chainSize / ms) * 1000),
      unit: 'steps/s',
      ratio: ms / chainBase,
      baseline: 'hand-written time',
      target: name === 'engine runSync' ? '<= 2.00x' : undefined,
      met: name === 'engine runSync' ? ms / chainBase <= 2 : undefined,
    });
  }
  rows.push({
    case: `${chainLabel}: engine vs p-graph`,
    value: ch['p-graph'] / ch['engine runSync'],
    unit: 'x faster',
    target: '> 1x',
    met: ch['engine runSync'] < ch['p-graph'],
  });
  // ctx.results in a long chain: each step reads its one need. Target: <= 1.5x the same chain
  // without reading, and <= 0.5 µs per step.
  const readingFlow = defineFlow({ name: 'chain-reading', steps: chainReading(chainSize) });
  const touchingFlow = defineFlow({ name: 'chain-touching', steps: chainTouchingOwnId(chainSize) });
  const rd = await interleaved(
    {
      'runSync, steps read ctx.results': () => {
        if (syncEngine.runSync(readingFlow).status !== 'succeeded') throw new Error('runSync failed');
      },
      'runSync, steps do not read': () => {
        if (syncEngine.runSync(chainFlow).status !== 'succeeded') throw new Error('runSync failed');
      },
      'runSync, steps use their own need id, no read': () => {
        if (syncEngine.runSync(touchingFlow).status !== 'succeeded') throw new Error('runSync failed');
      },
    },
    // CPU time of this process: other processes on a loaded machine do not stretch one side more.
    { warmup: 1, reps: quick ? 3 : 7, clock: 'cpu' },
  );
  const readRatio = rd['runSync, steps read ctx.results'] / rd['runSync, steps do not read'];
  const perStepUs = (rd['runSync, steps read ctx.results'] * 1000) / chainSize;
  rows.push({
    case: `${chainLabel}: steps reading ctx.results`,
    value: perStepUs,
    unit: 'µs/step',
    ratio: readRatio,
    baseline: 'same chain, no reads',
    target: '<= 1.50x, <= 0.5 µs/step',
    met: readRatio <= 1.5 && perStepUs <= 0.5,
  });
  // Where the rest of that ratio goes: a chain of per-step closures that only use their own
  // captured id (no ctx.results) beside the same two chains.
  const touching = rd['runSync, steps use their own need id, no read'];
  rows.push({
    case: `${chainLabel}: steps using their own need id, no ctx.results`,
    value: (touching * 1000) / chainSize,
    unit: 'µs/step',
    ratio: touching / rd['runSync, steps do not read'],
    baseline: 'same chain, no reads',
  });
  rows.push({
    case: `${chainLabel}: steps reading ctx.results vs using their own id`,
    value: rd['runSync, steps read ctx.results'] / touching,
    unit: 'x',
    baseline: 'steps using their own need id',
  });

  // Defining a long chain costs no more than running it once. "Running it once" is shown two
  // ways: the first run of a freshly defined flow (which resolves and checks every step, as any
  // first run does) — the target — and a repeated run of a flow the engine has already planned.
  const chainSteps = toSteps(chainNeeds);
  const df = await interleaved(
    {
      defineFlow: () => defineFlow({ name: 'chain-define', steps: chainSteps }),
      'first runSync of a fresh flow': () => {
        const fresh = defineFlow({ name: 'chain-fresh', steps: chainSteps });
        const t0 = cpuMs();
        new Engine({ logger: silentLogger }).runSync(fresh);
        return cpuMs() - t0;
      },
      'runSync (already planned)': () => syncEngine.runSync(chainFlow),
    },
    { warmup: 1, reps: quick ? 3 : 5, timed: { 'first runSync of a fresh flow': true }, clock: 'cpu' },
  );
  const firstRatio = df.defineFlow / df['first runSync of a fresh flow'];
  rows.push({
    case: `${chainSize}-step chain: defineFlow vs its first run`,
    value: df.defineFlow,
    unit: 'ms',
    ratio: firstRatio,
    baseline: `first runSync (${df['first runSync of a fresh flow'].toFixed(0)} ms)`,
    target: '<= 1.00x',
    met: firstRatio <= 1,
  });
  rows.push({
    case: `${chainSize}-step chain: defineFlow vs a planned run`,
    value: df.defineFlow,
    unit: 'ms',
    ratio: df.defineFlow / df['runSync (already planned)'],
    baseline: `planned runSync (${df['runSync (already planned)'].toFixed(0)} ms)`,
  });

  // One step needing N steps: 10x the needs may cost at most 15x (linear, not quadratic). Both
  // sides do the same number of needs per sample (ten small flows vs one large) in CPU time: a
  // lone 10,000-need defineFlow takes ~3 ms and leaves its garbage for whatever is timed next, so
  // timing it alone undercounted it and put its GC on the large side.
  const small = quick ? 2_000 : 10_000;
  const large = small * 10;
  const smallSteps = fanInSteps(small);
  const largeSteps = fanInSteps(large);
  const fan = await interleaved(
    {
      small: () => {
        for (let k = 0; k < 10; k++) defineFlow({ name: 'fan-in-small', steps: smallSteps });
      },
      large: () => defineFlow({ name: 'fan-in-large', steps: largeSteps }),
      // What V8 alone spends enumerating the same steps objects (a dictionary past ~1,000 keys:
      // its keys come back sorted by insertion, n log n and cache-bound): the floor of the ratio.
      'keys small': () => {
        for (let k = 0; k < 10; k++) Object.keys(smallSteps);
      },
      'keys large': () => Object.keys(largeSteps),
    },
    { warmup: 2, reps: quick ? 3 : 9, clock: 'cpu' },
  );
  const fanRatio = fan.large / (fan.small / 10);
  rows.push({
    case: `defineFlow, one step needing ${large.toLocaleString('en-US')} steps (CPU)`,
    value: fan.large,
    unit: 'ms',
    ratio: fanRatio,
    baseline: `needing ${small.toLocaleString('en-US')} (${(fan.small / 10).toFixed(2)} ms, timed 10 at a time)`,
    target: '<= 15x',
    met: fanRatio <= 15,
  });
  rows.push({
    case: `Object.keys of those steps objects (V8, not Cascadence)`,
    value: fan['keys large'],
    unit: 'ms',
    ratio: fan['keys large'] / (fan['keys small'] / 10),
    baseline: `${small.toLocaleString('en-US')} keys (${(fan['keys small'] / 10).toFixed(2)} ms)`,
  });

  if (events === 0) throw new Error('listener saw no events');
  return rows;
}
