// Two builds of the scheduler (and core, history) alternately, case by case, in child processes
// of one run: `node --expose-gc ab-scheduler.mjs <base node_modules folder> [rounds] [backends]`.
// The base folder holds node_modules/@cascadence/{core,scheduler-cron,history} of another build
// (package.json and dist); "new" is this workspace. Backends: local,local-history,inline.
import { measureInChild } from './suites/scheduler.bench.mjs';

const [base, roundsArg = '3', backendsArg = 'local,local-history', secondsArg = '3'] = process.argv.slice(2);
if (base === undefined) throw new Error('usage: ab-scheduler.mjs <base node_modules folder> [rounds] [backends] [seconds]');
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const fmt = (r) =>
  r.error !== undefined
    ? r.error
    : `${r.delivered}/${r.expected} missed ${r.missed} p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, ${r.cores.toFixed(3)} core, ${Math.round(r.heapPerJob)} B/job`;
for (let round = 0; round < rounds; round++) {
  for (const backend of backendsArg.split(',')) {
    // Alternate which side goes first, so neither always gets the quieter moment.
    const sides = round % 2 === 0 ? ['base', 'new'] : ['new', 'base'];
    for (const side of sides) {
      const result = await measureInChild('cascadence', 10_000, seconds, backend, side === 'base' ? base : undefined);
      console.log(`round ${round} ${backend.padEnd(13)} ${side.padEnd(4)} ${fmt(result)}`);
    }
  }
}
