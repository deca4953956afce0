import type { SqlDriver } from './driver';

/** Per task: how its runs since an instant went, and how long the ended ones took. */
export interface TaskStats {
  task: string;
  /** Every run started in the window, running ones included. */
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** succeeded / ended runs (0..1); null when none ended. */
  successRate: number | null;
  /** Nearest-rank percentiles of the ended runs' durations (ms); null when none ended. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Nearest-rank percentile of ascending numbers (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Runs read at most by `taskStats`: the newest ones of the window (bounded cost on a busy store). */
export const TASK_STATS_MAX_RUNS = 10_000;

/**
 * Stats of every task with runs started at or after `since`, sorted by task, over the newest
 * `limit` runs of that window (default TASK_STATS_MAX_RUNS). One narrow query (task, status,
 * duration: no owner join, no documents) along the started_at index.
 */
export async function taskStats(driver: SqlDriver, since: number, limit = TASK_STATS_MAX_RUNS): Promise<TaskStats[]> {
  const newest = await driver.query<{ task: string; status: string; duration_ms: number | null }>(
    `SELECT task, status, duration_ms FROM cascadence_runs WHERE started_at >= ? ORDER BY started_at DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
    [since],
  );
  const rows = newest.sort((x, y) => (x.task < y.task ? -1 : x.task > y.task ? 1 : 0));
  const out: TaskStats[] = [];
  let i = 0;
  while (i < rows.length) {
    const task = (rows[i] as { task: string }).task;
    const durations: number[] = [];
    let runs = 0;
    let succeeded = 0;
    let failed = 0;
    let cancelled = 0;
    for (; i < rows.length && (rows[i] as { task: string }).task === task; i++) {
      const row = rows[i] as { status: string; duration_ms: number | null };
      runs++;
      if (row.status === 'running') continue;
      if (row.status === 'succeeded') succeeded++;
      else if (row.status === 'failed') failed++;
      else if (row.status === 'cancelled') cancelled++;
      if (row.duration_ms !== null) durations.push(Number(row.duration_ms));
    }
    durations.sort((a, b) => a - b);
    const ended = succeeded + failed + cancelled;
    out.push({
      task,
      runs,
      succeeded,
      failed,
      cancelled,
      successRate: ended === 0 ? null : succeeded / ended,
      p50Ms: percentile(durations, 50),
      p95Ms: percentile(durations, 95),
    });
  }
  return out;
}
