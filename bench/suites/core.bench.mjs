// Core engine throughput: a 10,000-step random DAG through `engine.run` and a 100,000-step chain
// through `engine.runSync`, each beside a hand-written baseline (topological order, one promise
// per step awaiting its dependencies) and beside p-graph, in this same process.
import { Engine, defineFlow, silentLogger } from '@cascadence/core';
import { PGraph } from 'p-graph';
import { chain, interleaved, randomDag } from './lib.mjs';

const noop = () => undefined;

function toFlow(name, needs) {
  const steps = {};
  needs.forEach((own, i) => {
    steps[`s${i}`] = own.length === 0 ? { run: noop } : { needs: own.map((j) => `s${j}`), run: noop };
  });
  return defineFlow({ name, steps });
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
      target: name === 'engine' ? '<= 2.00x' : undefined,
      met: name === 'engine' ? ms / base <= 2 : undefined,
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
  if (events === 0) throw new Error('listener saw no events');
  return rows;
}
