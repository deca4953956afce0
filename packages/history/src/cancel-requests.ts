import type { SqlDriver } from './driver';

// Cancelling a run across processes: whoever wants a run stopped (`task cancel`, the dashboard)
// writes a request row; the process that owns the run (its History is recording it) polls for
// requests naming its unfinished runs and cancels them through their backend. The store is the
// only channel both sides already share, on SQLite and PostgreSQL alike.

/** How often a process with unfinished runs looks for requests to cancel them. */
export const CANCEL_POLL_MS = 250;

/** Something that can cancel runs it started in this process (Engine, LocalBackend). */
export interface RunCanceller {
  cancel(runId: string, reason?: string): boolean;
}

/** Writes (or renews) a request to cancel `runId`. */
export async function requestCancel(driver: SqlDriver, runId: string, reason: string, at: number): Promise<void> {
  await driver.batch([
    {
      sql: `INSERT INTO cascadence_cancel_requests (run_id, requested_at, reason) VALUES (?, ?, ?)
            ON CONFLICT (run_id) DO UPDATE SET requested_at = excluded.requested_at, reason = excluded.reason`,
      params: [runId, at, reason],
    },
  ]);
}

/**
 * Polls for requests naming this process's unfinished runs (only while it has some) and hands
 * each to the cancellers; a request is deleted once handed over. Errors are left to the next poll.
 */
export class CancelWatcher {
  private readonly cancellers = new Set<RunCanceller>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;

  constructor(
    private readonly driver: SqlDriver,
    /** The ids of the runs this process is recording and that have not ended. */
    private readonly unfinished: () => string[],
  ) {}

  /** Starts handing requests to `canceller`; the returned function stops. */
  add(canceller: RunCanceller): () => void {
    this.cancellers.add(canceller);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.poll(), CANCEL_POLL_MS);
      this.timer.unref?.();
    }
    return () => {
      this.cancellers.delete(canceller);
      if (this.cancellers.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the requests (also called by tests). */
  async poll(): Promise<number> {
    const ids = this.unfinished();
    if (ids.length === 0 || this.polling) return 0;
    this.polling = true;
    try {
      let handled = 0;
      // A few hundred ids per query keeps under every driver's parameter limit.
      for (let at = 0; at < ids.length; at += 500) {
        const chunk = ids.slice(at, at + 500);
        const rows = await this.driver.query<{ run_id: string; reason: string | null }>(
          `SELECT run_id, reason FROM cascadence_cancel_requests WHERE run_id IN (${chunk.map(() => '?').join(', ')})`,
          chunk,
        );
        for (const row of rows) {
          for (const canceller of this.cancellers) if (canceller.cancel(row.run_id, row.reason ?? 'cancelled on request')) break;
          await this.driver.batch([{ sql: `DELETE FROM cascadence_cancel_requests WHERE run_id = ?`, params: [row.run_id] }]);
          handled++;
        }
      }
      return handled;
    } catch {
      return 0;
    } finally {
      this.polling = false;
    }
  }
}
