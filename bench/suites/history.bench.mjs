// Run history: what recording costs a run and a step (batched writes to SQLite, flush included),
// beside the same runs unrecorded and beside a hand-written batched INSERT of one row per run;
// sustained recorded runs per second; `task runs --limit 50` query time on a large history.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFlow, defineTask, Engine, newRunId, shortRunId, silentLogger } from '@cascadence/core';
import { openHistory } from '@cascadence/history';
import { interleaved, median } from './lib.mjs';

// better-sqlite3 as @cascadence/history resolves it, for the hand-written peer.
const require = createRequire(createRequire(import.meta.url).resolve('@cascadence/history'));
const Database = require('better-sqlite3');

const STEPS = 20;

export async function run({ quick }) {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-bench-history-'));
  const rows = [];
  try {
    const runs = quick ? 2_000 : 10_000;
    const single = defineTask({ name: 'single', run: () => 1 });
    const steps = {};
    for (let i = 0; i < STEPS; i++)
      steps[`s${i}`] = i === 0 ? { run: () => 1 } : { needs: [`s${i - 1}`], run: (ctx) => ctx.results[`s${i - 1}`] + 1 };
    const chain = defineFlow({ name: 'chain', steps });

    const plain = new Engine({ logger: silentLogger });
    const recorded = new Engine({ logger: silentLogger });
    const history = await openHistory({ path: join(dir, 'history.db'), keep: false });
    history.record(recorded);

    // Hand-written: a developer logging each run as one row, batched in one transaction per 1,000.
    const db = new Database(join(dir, 'hand.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE runs (id TEXT PRIMARY KEY, task TEXT, status TEXT, started_at REAL, duration_ms REAL, output TEXT)');
    const insert = db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)');
    const insertMany = db.transaction((batch) => {
      for (const r of batch) insert.run(r.runId, r.task, r.status, r.startedAt, r.durationMs, JSON.stringify(r.output));
    });
    const hand = async () => {
      let batch = [];
      for (let i = 0; i < runs; i++) {
        batch.push(await plain.run(single));
        if (batch.length === 1000) {
          insertMany(batch);
          batch = [];
        }
      }
      insertMany(batch);
    };

    const sequential = (engine, runnable, n) => async () => {
      for (let i = 0; i < n; i++) await engine.run(runnable);
      if (engine === recorded) await history.flush();
    };
    const reps = quick ? 3 : 7;
    const t = await interleaved(
      {
        'single-task run, not recorded': sequential(plain, single, runs),
        'single-task run, recorded': sequential(recorded, single, runs),
        'single-task run + hand-written batched INSERT': hand,
      },
      { warmup: 2, reps },
    );
    const flowRuns = Math.max(200, runs / 10);
    const f = await interleaved(
      {
        [`${STEPS}-step chain, not recorded`]: sequential(plain, chain, flowRuns),
        [`${STEPS}-step chain, recorded`]: sequential(recorded, chain, flowRuns),
      },
      { warmup: 2, reps },
    );
    const perRun = (ms) => (ms * 1000) / runs;
    const addedPerRun = perRun(t['single-task run, recorded']) - perRun(t['single-task run, not recorded']);
    const flowAdded = ((f[`${STEPS}-step chain, recorded`] - f[`${STEPS}-step chain, not recorded`]) * 1000) / flowRuns;
    const addedPerStep = (flowAdded - addedPerRun) / STEPS;
    const handUs = perRun(t['single-task run + hand-written batched INSERT']);
    rows.push({ case: 'single-task run, not recorded', value: perRun(t['single-task run, not recorded']), unit: 'µs/run' });
    rows.push({ case: 'single-task run + hand-written batched INSERT (1 row/run)', value: handUs, unit: 'µs/run' });
    rows.push({
      case: 'single-task run, recorded',
      value: perRun(t['single-task run, recorded']),
      unit: 'µs/run',
      ratio: t['single-task run, recorded'] / t['single-task run + hand-written batched INSERT'],
      baseline: 'hand-written INSERT',
    });
    rows.push({ case: 'recording: µs added per run', value: addedPerRun, unit: 'µs', target: '<= 20 µs', met: addedPerRun <= 20 });
    rows.push({
      case: `recording: µs added per step (${STEPS}-step chain)`,
      value: addedPerStep,
      unit: 'µs',
      target: '<= 3 µs',
      met: addedPerStep <= 3,
    });
    const perSecond = 1e6 / perRun(t['single-task run, recorded']);
    rows.push({
      case: 'recorded single-task runs per second (one process)',
      value: Math.round(perSecond),
      unit: 'runs/s',
      target: '>= 20,000',
      met: perSecond >= 20_000,
    });

    await history.close();
    db.close();

    // Query time on a large history: rows written straight with SQL (the recorder's shape).
    const total = quick ? 100_000 : 1_000_000;
    const bigPath = join(dir, 'big.db');
    const big = await openHistory({ path: bigPath, keep: false });
    await big.close();
    const raw = new Database(bigPath);
    const owner = raw.prepare(`INSERT INTO cascadence_owners VALUES ('o', 'bench', 1, 0, 0)`);
    owner.run();
    const insertRun = raw.prepare(
      `INSERT INTO cascadence_runs (id, task, kind, backend, trigger_kind, owner_id, status, error, failed_step, started_at, ended_at, duration_ms, input_state, input_json, steps, updated_at)
       VALUES (?, ?, 'flow', 'local', 'schedule', 'o', ?, ?, ?, ?, ?, 12.5, 'ok', '{"day":"2026-12-01"}', ?, ?)`,
    );
    // The recorder's compact steps document (schema 3: a step is a row, times relative to the run).
    const stepsOf = (at) =>
      `{"v":3,"at":${at},"steps":[["extract","succeeded",1,0,3,[{"rows":3}]],["load","succeeded",1,3,3,[{"rows":3}]]]}`;
    const ids = [];
    const fill = raw.transaction((from, to) => {
      for (let i = from; i < to; i++) {
        const failed = i % 50 === 0;
        const at = 1_700_000_000_000 + i * 1000;
        const id = newRunId(); // time-ordered, as the engine makes them
        if (i % 100_000 === 0) ids.push(id);
        insertRun.run(
          id,
          `flow${i % 20}`,
          failed ? 'failed' : 'succeeded',
          failed ? '{"name":"Error","message":"boom"}' : null,
          failed ? 'load' : null,
          at,
          at + 12.5,
          stepsOf(at),
          at,
        );
      }
    });
    for (let i = 0; i < total; i += 50_000) fill(i, Math.min(total, i + 50_000));
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const size = statSync(bigPath).size;
    const reader = await openHistory({ path: bigPath, keep: false });
    const timeQuery = async (query) => {
      const samples = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        await reader.runs(query);
        samples.push(performance.now() - t0);
      }
      return median(samples);
    };
    const label = total.toLocaleString('en-US');
    const latest = await timeQuery({ limit: 50 });
    const byTask = await timeQuery({ limit: 50, task: 'flow7' });
    const failedOnly = await timeQuery({ limit: 50, status: 'failed' });
    // `task show` by the short id `task runs` prints (an id's end: no index, a scan of the ids).
    const timeLookup = async (part) => {
      const samples = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await reader.run(part(ids[i % ids.length])).catch(() => undefined); // an ambiguous end (1 in ~4,000 at 1M runs) still costs the scan
        samples.push(performance.now() - t0);
      }
      return median(samples);
    };
    const byShort = await timeLookup(shortRunId);
    const byStart = await timeLookup((id) => id.slice(0, 24));
    await reader.close();
    rows.push({ case: `task runs --limit 50 on ${label} runs`, value: latest, unit: 'ms', target: '<= 50 ms', met: latest <= 50 });
    rows.push({ case: `task runs NAME --limit 50 on ${label} runs`, value: byTask, unit: 'ms', target: '<= 50 ms', met: byTask <= 50 });
    rows.push({
      case: `task runs --status failed --limit 50 on ${label} runs`,
      value: failedOnly,
      unit: 'ms',
      target: '<= 50 ms',
      met: failedOnly <= 50,
    });
    rows.push({ case: `task show SHORT_ID (last 8 chars) on ${label} runs`, value: byShort, unit: 'ms' });
    rows.push({ case: `task show ID_START (first 24 chars) on ${label} runs`, value: byStart, unit: 'ms' });
    rows.push({ case: 'database size per run (2 steps, small values)', value: Math.round(size / total), unit: 'B' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
