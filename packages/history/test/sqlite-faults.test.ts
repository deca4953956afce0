import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defineFlow, defineTask, Engine, silentLogger, type Logger } from '@cascadence/core';
import { HistoryErrorCode, openHistory, SCHEMA_VERSION } from '../src';
import { migrate } from '../src/schema';
import { SqliteDriver } from '../src/sqlite-driver';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-history-faults-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refusal = async (path: string): Promise<{ code: string; message: string }> => {
  const error = (await openHistory({ path }).catch((e: unknown) => e)) as { code: string; message: string };
  expect(error).toBeInstanceOf(Error);
  return error;
};

describe('SQLite history: bad files are refused, named, and left untouched', () => {
  it('a file that is not a database', async () => {
    const path = join(dir, 'history.db');
    writeFileSync(path, 'x'.repeat(5000));
    const before = readFileSync(path);
    const error = await refusal(path);
    expect(error.code).toBe(HistoryErrorCode.CORRUPT);
    expect(error.message).toContain(`${path} is not a readable run history`);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("another program's SQLite database", async () => {
    const path = join(dir, 'app.db');
    const db = new Database(path);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    const before = readFileSync(path);
    const error = await refusal(path);
    expect(error.code).toBe(HistoryErrorCode.FOREIGN);
    expect(error.message).toContain(`${path} is a SQLite database of another program`);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a history written by a newer schema, naming both versions', async () => {
    const path = join(dir, 'history.db');
    (await openHistory({ path })).close();
    const db = new Database(path);
    db.prepare(`UPDATE cascadence_meta SET value = '99' WHERE key = 'schema_version'`).run();
    db.close();
    const error = await refusal(path);
    expect(error.code).toBe(HistoryErrorCode.NEWER_SCHEMA);
    expect(error.message).toContain(`has schema version 99, newer than the ${SCHEMA_VERSION} this Cascadence understands`);
  });
});

describe('SQLite history: schema migrations', () => {
  it('opens a history written by schema version 2 and reads its steps documents (one object per step)', async () => {
    const path = join(dir, 'history.db');
    const old = SqliteDriver.open(path, { busyTimeoutMs: 1000, readonly: false });
    expect(await migrate(old, 2)).toBe(2);
    const steps = {
      steps: [{ step: 'x', status: 'succeeded', attempts: 1, startedAt: 1500, durationMs: 2.5, output: { state: 'ok', json: '{"a":1}' } }],
    };
    await old.query(
      `INSERT INTO cascadence_runs (id, task, kind, backend, trigger_kind, owner_id, status, started_at, ended_at, duration_ms, input_state, steps, updated_at)
       VALUES ('v2-run', 'f', 'flow', 'local', 'cli', 'gone', 'succeeded', 1000, 2000, 1000, 'none', ?, 2000)`,
      [JSON.stringify(steps)],
    );
    await old.close();
    const history = await openHistory({ path });
    try {
      expect(await history.steps('v2-run')).toEqual([{ ...steps.steps[0], runId: 'v2-run', reused: false }]);
      expect(await history.attempts('v2-run')).toMatchObject([{ step: 'x', attempt: 1, startedAt: 1500, durationMs: 2.5 }]);
    } finally {
      await history.close();
    }
  });

  it('opens a history written by schema version 1 and keeps its runs', async () => {
    const path = join(dir, 'history.db');
    const old = SqliteDriver.open(path, { busyTimeoutMs: 1000, readonly: false });
    expect(await migrate(old, 1)).toBe(1);
    // A run as version 1 wrote it (no steps document, no updated_at column).
    await old.query(
      `INSERT INTO cascadence_runs (id, task, kind, backend, trigger_kind, owner_id, status, started_at, ended_at, duration_ms, input_state, input_json)
       VALUES ('old-run', 'etl', 'flow', 'local', 'cli', 'gone', 'failed', 1000, 2000, 1000, 'ok', '{"a":1}')`,
    );
    await old.close();

    const history = await openHistory({ path });
    try {
      const run = await history.run('old-run');
      expect(run).toMatchObject({ task: 'etl', status: 'failed', input: { state: 'ok', json: '{"a":1}' } });
      expect(await history.steps('old-run')).toEqual([]);
      expect(await history.attempts('old-run')).toEqual([]);
      // and records new runs beside it
      const engine = new Engine({ logger: silentLogger });
      history.record(engine);
      const fresh = await engine.run(defineFlow({ name: 'f', steps: { x: { run: () => 5 } } }));
      await history.flush();
      expect(await history.steps(fresh.runId)).toMatchObject([{ step: 'x', output: { json: '5' } }]);
      expect((await history.runs()).map((r) => r.id)).toEqual([fresh.runId, 'old-run']);
      const db = new Database(path, { readonly: true });
      expect(db.prepare(`SELECT value FROM cascadence_meta WHERE key = 'schema_version'`).get()).toEqual({ value: String(SCHEMA_VERSION) });
      db.close();
    } finally {
      await history.close();
    }
  });
});

describe('SQLite history: faults while recording', () => {
  it('a database locked beyond the busy timeout: the run completes, the loss is reported, nothing recorded before is lost', async () => {
    const path = join(dir, 'history.db');
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (line: string) => warnings.push(line) };
    const history = await openHistory({ path, busyTimeoutMs: 50, flushIntervalMs: 5, retryForMs: 100, logger });
    const engine = new Engine({ logger: silentLogger });
    history.record(engine);
    const t = defineTask({ name: 't', run: () => 1 });
    const before = await engine.run(t);
    await history.flush();

    const locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    const during = await engine.run(t);
    expect(during.status).toBe('succeeded');
    await history.flush(); // fails: kept and retried in the background for retryForMs
    expect(history.lostChanges).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await history.flush(); // still failing after retryForMs: counted as lost
    locker.exec('ROLLBACK');
    locker.close();

    expect(history.lostChanges).toBeGreaterThan(0);
    expect(warnings.join('\n')).toContain(`could not be written to ${path} and are lost`);
    expect((await history.runs()).map((r) => r.id)).toEqual([before.runId]);
    const after = await engine.run(t);
    await history.flush();
    expect((await history.runs()).map((r) => r.id)).toEqual([after.runId, before.runId]);
    await history.close();
  });

  it('a writer SIGKILLed in the middle of recording never corrupts the file', async () => {
    const path = join(dir, 'history.db');
    await (await openHistory({ path })).close();
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'child-writer.cjs'), JSON.stringify({ path }), 'many', '100000'], {
      stdio: 'ignore',
    });
    // Kill it once its first batches are committed, while it keeps writing more.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const probe = new Database(path, { readonly: true });
      const n = (probe.prepare('SELECT count(*) AS n FROM cascadence_runs').get() as { n: number }).n;
      probe.close();
      if (n > 0) break;
      if (Date.now() > deadline) throw new Error('the writer recorded nothing in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const db = new Database(path);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const count = (db.prepare('SELECT count(*) AS n FROM cascadence_runs').get() as { n: number }).n;
    db.close();
    expect(count).toBeGreaterThan(0);
    const history = await openHistory({ path });
    expect((await history.runs({ limit: 5 })).length).toBe(5);
    await history.close();
  }, 90_000);

  it('records flows nested in flows: the inner steps as attempts under the inner flow', async () => {
    const path = join(dir, 'history.db');
    const history = await openHistory({ path });
    const engine = new Engine({ logger: silentLogger });
    history.record(engine);
    const inner = defineFlow({ name: 'inner', steps: { x: { run: () => 1 }, y: { needs: ['x'], run: () => 2 } } });
    const outer = defineFlow({ name: 'outer', steps: { sub: { task: inner }, after: { needs: ['sub'], run: () => 3 } } });
    const result = await engine.run(outer);
    await history.flush();
    expect((await history.steps(result.runId)).map((s) => s.step).sort()).toEqual(['after', 'sub']);
    const attempts = await history.attempts(result.runId);
    expect(
      attempts
        .filter((a) => a.flow === 'inner')
        .map((a) => a.step)
        .sort(),
    ).toEqual(['x', 'y']);
    await history.close();
  });
});

// A size-limited tmpfs is the one honest way to fill a disk; mounting needs root (CI here runs as root).
const asRoot = process.getuid?.() === 0;
(asRoot ? describe : describe.skip)('SQLite history: a full disk', () => {
  it('runs complete, the loss is reported and counted, and what was written before stays readable', async () => {
    const { spawnSync } = await import('node:child_process');
    const mount = join(dir, 'small');
    require('node:fs').mkdirSync(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', mount], { encoding: 'utf8' });
    expect(mounted.stderr).toBe('');
    try {
      const path = join(mount, 'history.db');
      const warnings: string[] = [];
      const history = await openHistory({ path, retryForMs: 0, logger: { ...silentLogger, warn: (line: string) => warnings.push(line) } });
      const engine = new Engine({ logger: silentLogger });
      history.record(engine);
      const t = defineTask({ name: 'fat', run: (_ctx, i: number) => `${i}:${'x'.repeat(30_000)}` });
      const first = await engine.run(t, 0);
      await history.flush();
      const statuses: string[] = [];
      for (let i = 1; i <= 40; i++) {
        statuses.push((await engine.run(t, i)).status);
        await history.flush();
      }
      expect(new Set(statuses)).toEqual(new Set(['succeeded']));
      expect(history.lostChanges).toBeGreaterThan(0);
      expect(warnings.join('\n')).toMatch(/could not be written to .*history\.db and are lost \(.*(full|disk)/i);
      await history.close();

      const db = new Database(path, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      const reader = await openHistory({ path });
      expect((await reader.run(first.runId)).status).toBe('succeeded');
      await reader.close();
    } finally {
      spawnSync('umount', [mount]);
    }
  });
});
