import type { SqlDriver } from './driver';
import { HistoryErrorCode, historyError } from './errors';

/**
 * Versioned schema, the same SQL on SQLite and PostgreSQL. A migration is appended, never edited:
 * a history written by an older Cascadence is brought forward on open; one written by a newer
 * Cascadence is refused (naming both versions) rather than misread.
 * Numbers are DOUBLE PRECISION so both drivers return JS numbers (epoch ms fit exactly).
 */
const MIGRATIONS: readonly (readonly string[])[] = [
  // 1: runs, and the processes that own them.
  [
    `CREATE TABLE cascadence_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE cascadence_owners (
      id TEXT PRIMARY KEY, host TEXT NOT NULL, pid DOUBLE PRECISION NOT NULL,
      started_at DOUBLE PRECISION NOT NULL, heartbeat_at DOUBLE PRECISION NOT NULL)`,
    `CREATE TABLE cascadence_runs (
      id TEXT PRIMARY KEY, task TEXT NOT NULL, kind TEXT NOT NULL, backend TEXT NOT NULL,
      workflow_id TEXT, workflow_run_id TEXT,
      trigger_kind TEXT NOT NULL, schedule TEXT, retry_of TEXT,
      owner_id TEXT NOT NULL, status TEXT NOT NULL, error TEXT, failed_step TEXT,
      started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION, duration_ms DOUBLE PRECISION,
      input_state TEXT NOT NULL, input_json TEXT, input_bytes DOUBLE PRECISION, input_reason TEXT)`,
    `CREATE INDEX cascadence_runs_started ON cascadence_runs (started_at)`,
    `CREATE INDEX cascadence_runs_task ON cascadence_runs (task, started_at)`,
    `CREATE INDEX cascadence_runs_status ON cascadence_runs (status, started_at)`,
  ],
  // 2: the steps of a run (one JSON document per run: a step costs no row write of its own),
  // and a change stamp for live readers.
  [
    `ALTER TABLE cascadence_runs ADD COLUMN steps TEXT`,
    `ALTER TABLE cascadence_runs ADD COLUMN updated_at DOUBLE PRECISION NOT NULL DEFAULT 0`,
    `CREATE INDEX cascadence_runs_updated ON cascadence_runs (updated_at)`,
  ],
  // 3: steps documents are written compact (rows, times relative to the run: steps-document.ts).
  // No table changes; the version makes an older Cascadence refuse the store instead of misreading them.
  [`INSERT INTO cascadence_meta (key, value) VALUES ('steps_format', '3')`],
  // 4: requests to cancel a run, written by any process, carried out by the one that runs it;
  // listing indexes end in id, so pages ordered by (started_at, id) come straight from an index.
  [
    `CREATE TABLE cascadence_cancel_requests (run_id TEXT PRIMARY KEY, requested_at DOUBLE PRECISION NOT NULL, reason TEXT)`,
    `DROP INDEX cascadence_runs_started`,
    `DROP INDEX cascadence_runs_task`,
    `DROP INDEX cascadence_runs_status`,
    `CREATE INDEX cascadence_runs_started ON cascadence_runs (started_at, id)`,
    `CREATE INDEX cascadence_runs_task ON cascadence_runs (task, started_at, id)`,
    `CREATE INDEX cascadence_runs_status ON cascadence_runs (status, started_at, id)`,
  ],
];

/** The schema version this Cascadence writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the store to `target` (default: the current version) under the migration lock, so two
 * processes opening a new history at once do not both create it.
 */
export async function migrate(driver: SqlDriver, target: number = SCHEMA_VERSION): Promise<number> {
  // Up to date (the usual case): no write lock, so a store busy with another writer opens at once.
  const seen = await storedVersion(driver);
  if (seen === target) return seen;
  if (seen > SCHEMA_VERSION) throw newerSchema(driver, seen);
  return driver.withMigrationLock(async (locked) => {
    const from = await storedVersion(locked);
    if (from > SCHEMA_VERSION) throw newerSchema(driver, from);
    for (let version = from + 1; version <= target; version++) {
      for (const sql of MIGRATIONS[version - 1] as readonly string[]) await locked.query(sql);
      await locked.query(
        `INSERT INTO cascadence_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(version)],
      );
    }
    return Math.max(from, target);
  });
}

function newerSchema(driver: SqlDriver, version: number): Error {
  return historyError(
    HistoryErrorCode.NEWER_SCHEMA,
    `the run history at ${driver.where} has schema version ${version}, newer than the ${SCHEMA_VERSION} this Cascadence understands; it was left untouched`,
    {
      details: { version, supported: SCHEMA_VERSION },
      suggestions: ['upgrade @cascadence/history (and the CLI) to the version that wrote it'],
    },
  );
}

/** The schema version of a store (0 when empty), without changing it. */
export async function storedVersion(driver: SqlDriver): Promise<number> {
  const exists =
    driver.dialect === 'sqlite'
      ? await driver.query<{ n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'cascadence_meta'`)
      : await driver.query<{ n: number }>(
          `SELECT count(*)::float8 AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'cascadence_meta'`,
        );
  if ((exists[0]?.n ?? 0) === 0) return 0;
  const rows = await driver.query<{ value: string }>(`SELECT value FROM cascadence_meta WHERE key = 'schema_version'`);
  const version = Number(rows[0]?.value ?? 0);
  if (!Number.isInteger(version) || version < 0) {
    throw historyError(
      HistoryErrorCode.CORRUPT,
      `the run history at ${driver.where} has an unreadable schema version "${rows[0]?.value}"; it was left untouched`,
      {
        details: { version: rows[0]?.value },
      },
    );
  }
  return version;
}
