import type { SqlDriver } from './driver';
import { HistoryErrorCode, historyError } from './errors';
import { parseDuration } from './since';

/** What `history.keep` resolves to: runs younger than `maxAgeMs`, the newest `maxRuns`, or everything. */
export type Retention = { maxAgeMs: number } | { maxRuns: number } | false;

export const DEFAULT_RETENTION: Retention = { maxAgeMs: 30 * 86_400_000 };

/** `keep`: a duration string (`30d`), a run count (`10000`), or `false` (keep everything). */
export function parseRetention(keep: unknown): Retention {
  if (keep === undefined) return DEFAULT_RETENTION;
  if (keep === false) return false;
  if (typeof keep === 'number' && Number.isInteger(keep) && keep > 0) return { maxRuns: keep };
  if (typeof keep === 'string') return { maxAgeMs: parseDuration(keep, 'history.keep') };
  throw historyError(
    HistoryErrorCode.INVALID_OPTION,
    `history.keep must be a duration like "30d", a positive whole number of runs, or false (got ${JSON.stringify(keep)})`,
  );
}

/** Runs deleted per transaction: small enough that writers never wait long for the lock. */
const BATCH = 500;

/**
 * Deletes runs (their steps go with them) beyond the retention, in small batches with a
 * yield between them so recording never stalls behind it. Running runs are never deleted.
 * Returns how many runs were deleted.
 */
export async function applyRetention(driver: SqlDriver, retention: Retention, now: number = Date.now()): Promise<number> {
  if (retention === false) return 0;
  let cutoff: number;
  if ('maxAgeMs' in retention) {
    cutoff = now - retention.maxAgeMs;
  } else {
    const rows = await driver.query<{ started_at: number }>(
      `SELECT started_at FROM cascadence_runs ORDER BY started_at DESC LIMIT 1 OFFSET ${retention.maxRuns - 1}`,
    );
    if (rows.length === 0) return 0;
    cutoff = Number(rows[0]?.started_at);
  }
  let deleted = 0;
  for (;;) {
    const ids = (
      await driver.query<{ id: string }>(`SELECT id FROM cascadence_runs WHERE started_at < ? AND status <> 'running' LIMIT ${BATCH}`, [
        cutoff,
      ])
    ).map((row) => row.id);
    if (ids.length === 0) return deleted;
    const list = ids.map(() => '?').join(', ');
    await driver.batch([{ sql: `DELETE FROM cascadence_runs WHERE id IN (${list})`, params: ids }]);
    deleted += ids.length;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
