// The `task ui` dashboard's server: how long its JSON API takes to answer over HTTP on a large
// history (the runs page's first page, filtered, deep pages, a 1,000-step run, the tasks page).
// The history file is filled straight with SQL, in the recorder's row shape, to build 1M runs fast.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistory } from '@cascadence/history';
import { startUiServer } from '@cascadence/ui';
import { median } from './lib.mjs';

const require = createRequire(createRequire(import.meta.url).resolve('@cascadence/history'));
const Database = require('better-sqlite3');

const BIG_FLOW_STEPS = 1000;

/** Rows like the recorder's: a run per second, ending now; every 50th failed; 20 flows. */
function fillHistory(path, total) {
  const db = new Database(path);
  db.prepare(`INSERT INTO cascadence_owners VALUES ('bench-owner', 'bench', 1, 0, 0)`).run();
  const insert = db.prepare(
    `INSERT INTO cascadence_runs (id, task, kind, backend, trigger_kind, owner_id, status, error, failed_step, started_at, ended_at, duration_ms, input_state, input_json, steps, updated_at)
     VALUES (?, ?, 'flow', 'local', ?, 'bench-owner', ?, ?, ?, ?, ?, ?, 'ok', '{"n":1}', ?, ?)`,
  );
  const end = Date.now();
  const twoSteps = (at) =>
    JSON.stringify({
      steps: [
        { step: 'a', status: 'succeeded', attempts: 1, startedAt: at, durationMs: 4, output: { state: 'ok', json: '1' } },
        { step: 'b', status: 'succeeded', attempts: 1, startedAt: at + 4, durationMs: 8, output: { state: 'ok', json: '2' } },
      ],
    });
  const batch = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const at = end - (total - i) * 1000;
      const failed = i % 50 === 0;
      insert.run(
        `r${String(i).padStart(9, '0')}-bench`,
        `flow${i % 20}`,
        i % 3 === 0 ? 'schedule' : 'cli',
        failed ? 'failed' : 'succeeded',
        failed ? '{"name":"Error","message":"boom"}' : null,
        failed ? 'b' : null,
        at,
        at + 12,
        12 + (i % 7),
        twoSteps(at),
        at + 12,
      );
    }
  });
  for (let i = 0; i < total; i += 50_000) batch(i, Math.min(total, i + 50_000));
  // One run of a 1,000-step flow, the newest.
  const at = end + 1;
  const steps = Array.from({ length: BIG_FLOW_STEPS }, (_, i) => ({
    step: `s${i}`,
    status: 'succeeded',
    attempts: 1,
    startedAt: at + i,
    durationMs: 1,
    output: { state: 'ok', json: String(i) },
  }));
  insert.run(
    'big-flow-run',
    'big',
    'cli',
    'succeeded',
    null,
    null,
    at,
    at + BIG_FLOW_STEPS,
    BIG_FLOW_STEPS,
    JSON.stringify({ steps }),
    at + BIG_FLOW_STEPS,
  );
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Only what the read-only pages ask of the project. */
function readOnlyActions() {
  const bigGraph = {
    nodes: Array.from({ length: BIG_FLOW_STEPS }, (_, i) => ({ id: `s${i}` })),
    edges: Array.from({ length: BIG_FLOW_STEPS - 1 }, (_, i) => ({ from: `s${Math.floor(i / 4)}`, to: `s${i + 1}` })),
  };
  const refuse = async () => {
    throw new Error('the bench does not act');
  };
  return {
    tasks: async () => Array.from({ length: 20 }, (_, i) => ({ name: `flow${i}`, kind: 'flow', enabled: true })),
    flowGraph: async (name) => (name === 'big' ? bigGraph : undefined),
    schedules: async () => [],
    setEnabled: refuse,
    setPaused: refuse,
    runNow: refuse,
    retry: refuse,
    cancel: refuse,
    canCancel: () => false,
  };
}

export async function run({ quick }) {
  const total = quick ? 100_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-bench-ui-'));
  const rows = [];
  try {
    const path = join(dir, 'history.db');
    await (await openHistory({ path, keep: false })).close(); // schema
    fillHistory(path, total);
    const history = await openHistory({ path, keep: false });
    const server = await startUiServer({ history, actions: readOnlyActions(), port: 0 });
    const base = `http://127.0.0.1:${server.port}`;
    const timeGet = async (path) => {
      const samples = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}${path}`);
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
        samples.push(performance.now() - t0);
      }
      return median(samples);
    };
    try {
      const label = total.toLocaleString('en-US');
      const first = await timeGet('/api/runs?limit=50');
      const cursor = (await (await fetch(`${base}/api/runs?limit=50`)).json()).next;
      const deep = Date.now() - Math.floor(total / 2) * 1000;
      const cases = [
        [`GET /api/runs (runs page, 50 newest) on ${label} runs`, first],
        [`GET /api/runs?task=flow7 on ${label} runs`, await timeGet('/api/runs?limit=50&task=flow7')],
        [`GET /api/runs?status=failed on ${label} runs`, await timeGet('/api/runs?limit=50&status=failed')],
        [`GET /api/runs?trigger=schedule on ${label} runs`, await timeGet('/api/runs?limit=50&trigger=schedule')],
        [
          `GET /api/runs, page 2 (cursor) on ${label} runs`,
          await timeGet(`/api/runs?limit=50&before=${cursor.before}&beforeId=${encodeURIComponent(cursor.beforeId)}`),
        ],
        [`GET /api/runs, a page half-way back on ${label} runs`, await timeGet(`/api/runs?limit=50&before=${deep}`)],
      ];
      for (const [name, ms] of cases) rows.push({ case: name, value: ms, unit: 'ms', target: '<= 200 ms', met: ms <= 200 });
      rows.push({
        case: `GET /api/runs/:id of a ${BIG_FLOW_STEPS.toLocaleString('en-US')}-step flow run (steps, attempts, graph)`,
        value: await timeGet('/api/runs/big-flow-run'),
        unit: 'ms',
      });
      rows.push({
        case: `GET /api/tasks (success rate, p50/p95 over the last day's runs, at most 10,000)`,
        value: await timeGet('/api/tasks'),
        unit: 'ms',
      });
    } finally {
      await server.close();
      await history.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
