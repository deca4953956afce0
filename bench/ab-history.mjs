// What recording costs a scheduler tick's runs: CPU time per lone-task run through a LocalBackend
// with history recording on (SQLite, default settings), minus the same runs unrecorded, for two
// builds of @cascadence/history alternately, each round in its own child process.
//   [AB_ORDER=shuffled] node --expose-gc ab-history.mjs <base history dist/index.js> [rounds] [jobs] [ticks]
// A tick starts `jobs` runs at once (as the scheduler's dispatch does), waits for them, then
// lets the recorder's timer flush (80 ms) — CPU of the flushes is included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);

async function child(historyModule, jobs, ticks) {
  const { defineTask, Engine, LocalBackend, silentLogger } = await import('@cascadence/core');
  const tasks = [];
  for (let i = 0; i < jobs; i++) tasks.push(defineTask({ name: `job-${i}`, run: () => i }));
  // AB_ORDER=shuffled: tasks fire in a fixed pseudo-random order (a schedule file's order is
  // unrelated to the names' order); default: job-0, job-1, ... (close to sorted).
  if (process.env.AB_ORDER === 'shuffled') {
    let seed = 42;
    for (let i = jobs - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const j = seed % (i + 1);
      [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
    }
  }
  const options = tasks.map((t) => ({ trigger: Object.freeze({ kind: 'schedule', schedule: t.name }) }));
  const backend = new LocalBackend(new Engine({ logger: silentLogger }));
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-ab-history-'));
  let history;
  if (historyModule !== 'none') {
    const { openHistory } = await import(historyModule);
    history = await openHistory({ path: join(dir, 'history.db'), logger: silentLogger });
    history.record(backend);
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const tick = async () => {
    const all = new Array(jobs);
    for (let i = 0; i < jobs; i++) all[i] = backend.run(tasks[i], undefined, options[i]);
    await Promise.all(all);
    await sleep(80);
  };
  for (let i = 0; i < 3; i++) await tick(); // warm-up
  globalThis.gc?.();
  const before = process.cpuUsage();
  for (let i = 0; i < ticks; i++) await tick();
  const used = process.cpuUsage(before);
  await history?.close();
  rmSync(dir, { recursive: true, force: true });
  return (used.user + used.system) / (jobs * ticks);
}

if (process.argv[2] === '--child') {
  const [, , , module, jobs, ticks] = process.argv;
  const us = await child(module, Number(jobs), Number(ticks));
  process.stdout.write(JSON.stringify({ us }));
} else {
  const [baseArg, roundsArg = '4', jobsArg = '10000', ticksArg = '8'] = process.argv.slice(2);
  if (baseArg === undefined) throw new Error('usage: ab-history.mjs <base history dist/index.js> [rounds] [jobs] [ticks]');
  const sides = { none: 'none', base: pathToFileURL(resolve(baseArg)).href, new: '@cascadence/history' };
  const results = { none: [], base: [], new: [] };
  for (let round = 0; round < Number(roundsArg); round++) {
    const order = round % 2 === 0 ? ['none', 'base', 'new'] : ['new', 'base', 'none'];
    for (const side of order) {
      const out = spawnSync(process.execPath, ['--expose-gc', self, '--child', sides[side], jobsArg, ticksArg], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(out.stderr);
      const { us } = JSON.parse(out.stdout);
      results[side].push(us);
      console.log(`round ${round} ${side.padEnd(4)} ${us.toFixed(2)} µs CPU/run`);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const none = med(results.none);
  for (const side of ['base', 'new'])
    console.log(`${side}: median ${med(results[side]).toFixed(2)} µs/run, recording adds ${(med(results[side]) - none).toFixed(2)} µs/run`);
  console.log(`none: median ${none.toFixed(2)} µs/run`);
}
