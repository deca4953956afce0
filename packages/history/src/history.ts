import { closestNames, compareNames, shortRunId, silentLogger, SHORT_RUN_ID_LENGTH, type EventBus, type Logger } from '@cascadence/core';
import type { SqlDriver } from './driver';
import { HistoryErrorCode, historyError } from './errors';
import { effectiveStatus, HEARTBEAT_MS, thisProcess, type ProcessIdentity } from './owner';
import { PostgresDriver } from './postgres-driver';
import { CancelWatcher, requestCancel, type RunCanceller } from './cancel-requests';
import { Recorder } from './recorder';
import { taskStats, type TaskStats } from './task-stats';
import type { AttemptRecord, RecordedRunStatus, RunQuery, RunRecord, StepRecord } from './records';
import { applyRetention, parseRetention, type Retention } from './retention';
import { migrate } from './schema';
import { SqliteDriver } from './sqlite-driver';
import { attemptRecords, HistoryReader, stepRecords, write, type RunWithOwner } from './store';
import { DEFAULT_MAX_VALUE_BYTES } from './values';

export interface HistoryOptions {
  /** SQLite file (the embedded default). Ignored when `url` is set. */
  path?: string;
  /** `postgres://user:pass@host:port/db`: a PostgreSQL server shared by several hosts. */
  url?: string;
  /** Retention: a duration (`"30d"`, the default), a number of runs, or `false` to keep everything. */
  keep?: string | number | false;
  /** Record run inputs and step outputs (default true); off for secrets: only their absence is recorded. */
  values?: boolean;
  /** Per-value cap in bytes of JSON (default 64 KiB); larger values are kept truncated, marked as such. */
  maxValueBytes?: number;
  /**
   * SQLite: how long one write waits for another process's lock (default 250 ms). better-sqlite3
   * waits synchronously, so this bounds how long recording can hold up the event loop.
   */
  busyTimeoutMs?: number;
  /** Longest delay before a recorded change is written (default 50 ms). */
  flushIntervalMs?: number;
  /** How long changes that cannot be written are retried in the background before counting as lost (default 10 s). */
  retryForMs?: number;
  /** PostgreSQL: connection timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Where warnings go (a write that failed); default silent. */
  logger?: Logger;
}

/** How far back each live poll looks for changes committed late by other writers. */
const LIVE_LOOKBACK_MS = 2000;

/** How long retention waits between passes in a long-lived process. */
const RETENTION_EVERY_MS = 3_600_000;

/**
 * Run history: records runs from any engine or backend (`record`) and answers queries about
 * them. Open with `openHistory`; `close` writes what is pending.
 */
export class History {
  readonly where: string;
  private readonly reader: HistoryReader;
  private readonly recorder: Recorder;
  private readonly cancelWatcher: CancelWatcher;
  private readonly owner: ProcessIdentity = thisProcess();
  private ownerRegistered: Promise<void> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private retentionTimer: ReturnType<typeof setTimeout> | undefined;
  private retentionRun: Promise<number> | undefined;
  private closed = false;

  /** @internal use openHistory */
  constructor(
    private readonly driver: SqlDriver,
    private readonly retention: Retention,
    private readonly logger: Logger,
    options: HistoryOptions,
  ) {
    this.where = driver.where;
    this.reader = new HistoryReader(driver);
    this.recorder = new Recorder(driver, this.owner, {
      maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
      values: options.values ?? true,
      flushIntervalMs: options.flushIntervalMs ?? 50,
      retryForMs: options.retryForMs ?? 10_000,
      logger,
    });
    this.cancelWatcher = new CancelWatcher(driver, () => this.recorder.unfinishedRunIds());
  }

  /**
   * Records every run `source` (an Engine, LocalBackend, TemporalBackend, ...) executes from now
   * on. Returns a function that stops recording it. Retention starts running in the background.
   * A source that can cancel its runs (`cancel(runId, reason)`: Engine, LocalBackend) also carries
   * out `requestCancel` made by any process for the runs it is recording.
   */
  record(source: {
    readonly name?: string;
    readonly events?: EventBus | undefined;
    cancel?(runId: string, reason?: string): boolean;
  }): () => void {
    this.registerOwner();
    this.startRetention();
    const detach = this.recorder.attach({ name: source.name ?? 'local', events: source.events });
    if (typeof source.cancel !== 'function') return detach;
    const stopCancelling = this.cancelWatcher.add(source as RunCanceller);
    return () => {
      stopCancelling();
      detach();
    };
  }

  /**
   * Asks for a running run to be cancelled, whichever process runs it: that process (recording
   * into this store) cancels it within a moment, as Ctrl-C would. Resolves to the run as it is now;
   * a run that is not running (ended, or its process gone) is `CASCADENCE_HISTORY_NOT_RUNNING`.
   */
  async requestCancel(idOrPrefix: string, reason = 'cancelled on request'): Promise<RunRecord> {
    const run = await this.run(idOrPrefix);
    if (run.status !== 'running') {
      const why = run.status === 'interrupted' ? 'its process is gone (interrupted)' : `it ended ${run.status}`;
      throw historyError(HistoryErrorCode.NOT_RUNNING, `run ${run.id} (${run.task}) cannot be cancelled: ${why}`, {
        details: { id: run.id, status: run.status },
      });
    }
    await requestCancel(this.driver, run.id, reason, Date.now());
    return run;
  }

  /** Per task, the runs started at or after `since` (the newest 10,000 of them at most): counts, success rate, p50/p95 duration. */
  async taskStats(since: number, options: { limit?: number } = {}): Promise<TaskStats[]> {
    return taskStats(this.driver, since, options.limit);
  }

  /** @internal one look for cancel requests now (tests; the watcher polls every 250 ms). */
  pollCancelRequests(): Promise<number> {
    return this.cancelWatcher.poll();
  }

  /** Runs, newest first (default 50). */
  async runs(query: RunQuery = {}): Promise<RunRecord[]> {
    const wanted = query.status;
    const stored = wanted === 'interrupted' || wanted === 'running' ? ['running'] : wanted === undefined ? undefined : [wanted];
    const limit = query.limit ?? 50;
    const out: RunRecord[] = [];
    let before = query.before;
    let beforeId = query.beforeId;
    // Filtering running vs interrupted happens after the read: page until `limit` rows match.
    for (;;) {
      const rows = await this.reader.runs({ ...query, before, beforeId, limit, ...(stored === undefined ? {} : { statuses: stored }) });
      for (const row of rows) {
        const record = this.toRecord(row);
        if (wanted === undefined || record.status === wanted) out.push(record);
        if (out.length === limit) return out;
      }
      if (rows.length < limit) return out;
      const last = rows[rows.length - 1] as RunWithOwner;
      before = last.startedAt;
      beforeId = last.id;
    }
  }

  /**
   * One run by id, or a unique start or end of it (`task runs` shows an id's last characters);
   * unknown and ambiguous ids are errors with suggestions.
   */
  async run(idOrPrefix: string): Promise<RunRecord> {
    const matches = await this.reader.runsByIdPart(idOrPrefix, 5);
    if (matches.length === 1) return this.toRecord(matches[0] as RunWithOwner);
    if (matches.length > 1) {
      throw historyError(
        HistoryErrorCode.AMBIGUOUS_RUN,
        `run id "${idOrPrefix}" matches several runs: ${matches.map((m) => m.id).join(', ')}${matches.length === 5 ? ', ...' : ''}`,
        {
          suggestions: ['give more characters of the id'],
          details: { id: idOrPrefix },
        },
      );
    }
    const recent = await this.reader.recentIds(1000);
    // A mistyped short id is compared with the short forms, and answered with the full ids.
    const short = idOrPrefix.length <= SHORT_RUN_ID_LENGTH + 2 ? new Map(recent.map((id) => [shortRunId(id), id])) : undefined;
    const close =
      short === undefined
        ? closestNames(idOrPrefix, recent, 3)
        : closestNames(idOrPrefix, short.keys(), 3).map((s) => short.get(s) as string);
    const hint = close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
    throw historyError(HistoryErrorCode.UNKNOWN_RUN, `no recorded run has id "${idOrPrefix}" in ${this.where}${hint}`, {
      suggestions: close.length > 0 ? close.map((id) => `did you mean ${id}?`) : ['list recent runs with: task runs'],
      details: { id: idOrPrefix },
    });
  }

  /** The run's top-level steps in the order they started (never-started steps last). */
  async steps(runId: string): Promise<StepRecord[]> {
    const steps = stepRecords(runId, await this.reader.stepsDocument(runId));
    return steps.sort((a, b) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity) || compareNames(a.step, b.step));
  }

  /** Every attempt of every step, nested flows' steps included, in the order they started. */
  async attempts(runId: string): Promise<AttemptRecord[]> {
    const run = await this.reader.runById(runId);
    if (run === undefined) return [];
    return attemptRecords(runId, run.kind === 'flow' ? run.task : undefined, await this.reader.stepsDocument(runId));
  }

  /**
   * Follows runs as they change — in this process and in any other writing to the same store
   * (polled every `intervalMs`, default 250). Returns a function that stops following.
   */
  subscribe(listener: (run: RunRecord) => void, options: { intervalMs?: number } = {}): () => void {
    // Writers stamp updated_at when they write, but concurrent writers commit in any order: each
    // poll looks back LIVE_LOOKBACK_MS and skips versions it has already delivered.
    let last = Date.now();
    const delivered = new Map<string, number>();
    let polling: Promise<void> | undefined;
    let stopped = false;
    const poll = (): void => {
      if (polling !== undefined || stopped) return;
      polling = (async () => {
        try {
          let from = last - LIVE_LOOKBACK_MS;
          let afterId: string | undefined;
          for (;;) {
            const rows = await this.reader.changedSince(from, 1000, afterId);
            for (const row of rows) {
              // Pages go on from the last row's (updatedAt, id): a batch of more than a page shares one stamp.
              from = row.updatedAt;
              afterId = row.id;
              last = Math.max(last, row.updatedAt);
              if (delivered.get(row.id) === row.updatedAt) continue;
              delivered.set(row.id, row.updatedAt);
              if (!stopped) listener(this.toRecord(row));
            }
            if (rows.length < 1000) break;
          }
          for (const [id, at] of delivered) if (at < last - LIVE_LOOKBACK_MS) delivered.delete(id);
        } catch (error) {
          this.logger.warn(`history: could not read changes from ${this.where}: ${(error as Error).message}`);
        } finally {
          polling = undefined;
        }
      })();
    };
    const timer = setInterval(poll, options.intervalMs ?? 250);
    timer.unref?.();
    const off = this.recorder.onFlush(poll);
    return () => {
      stopped = true;
      clearInterval(timer);
      off();
    };
  }

  /** Deletes runs beyond `keep` now; returns how many. (Recording processes also do it hourly.) */
  async applyRetention(): Promise<number> {
    return applyRetention(this.driver, this.retention);
  }

  /** Writes every pending change now. */
  async flush(): Promise<void> {
    await this.recorder.flush(true);
  }

  /** Changes that could not be written (reported as warnings when they happened). */
  get lostChanges(): number {
    return this.recorder.lostChanges;
  }

  /** Writes what is pending, stops background work and closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.cancelWatcher.stop();
    if (this.retentionTimer !== undefined) clearTimeout(this.retentionTimer);
    await this.ownerRegistered?.catch(() => undefined);
    await this.recorder.flush(true, true);
    await this.retentionRun?.catch(() => 0);
    await this.driver.close();
  }

  private toRecord(row: RunWithOwner): RunRecord {
    const { owner, ownerId: _ownerId, updatedAt: _updatedAt, ...rest } = row;
    const status: RecordedRunStatus = effectiveStatus(row.status, owner, Date.now(), this.owner.host);
    return { ...rest, status, host: owner?.host ?? '', pid: owner?.pid ?? 0 };
  }

  private registerOwner(): void {
    if (this.ownerRegistered !== undefined) return;
    const beat = (): Promise<void> =>
      this.driver.batch([write.owner(this.owner.id, this.owner.host, this.owner.pid, this.owner.startedAt, Date.now())]);
    this.ownerRegistered = beat().catch((error: unknown) => {
      this.logger.warn(`history: could not register this process in ${this.where}: ${(error as Error).message}`);
    });
    this.heartbeat = setInterval(() => {
      beat().catch(() => undefined);
    }, HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  private startRetention(): void {
    if (this.retention === false || this.retentionTimer !== undefined) return;
    const pass = (): void => {
      this.retentionRun = applyRetention(this.driver, this.retention).catch((error: unknown) => {
        this.logger.warn(`history: retention could not delete old runs in ${this.where}: ${(error as Error).message}`);
        return 0;
      });
      this.retentionTimer = setTimeout(pass, RETENTION_EVERY_MS);
      this.retentionTimer.unref?.();
    };
    // In the background, after the process's first work has started.
    this.retentionTimer = setTimeout(pass, 1000);
    this.retentionTimer.unref?.();
  }
}

/**
 * Opens run history: PostgreSQL when `url` is given, else the SQLite file at `path`. Creates or
 * migrates the schema; refuses (without touching it) a foreign, corrupt or newer-schema store.
 */
export async function openHistory(options: HistoryOptions): Promise<History> {
  const retention = parseRetention(options.keep);
  const logger = options.logger ?? silentLogger;
  let driver: SqlDriver;
  if (options.url !== undefined && options.url !== '') {
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      throw historyError(
        HistoryErrorCode.INVALID_OPTION,
        `history.url must be a postgres:// URL (got "${options.url.split(':')[0]}:...")`,
        {
          suggestions: ['for the embedded SQLite store, set history.path (or nothing) instead'],
        },
      );
    }
    driver = await PostgresDriver.open(options.url, { connectTimeoutMs: options.connectTimeoutMs ?? 5000 });
  } else if (options.path !== undefined) {
    driver = SqliteDriver.open(options.path, { busyTimeoutMs: options.busyTimeoutMs ?? 250, readonly: false });
  } else {
    throw historyError(HistoryErrorCode.INVALID_OPTION, 'openHistory needs a path (SQLite) or a url (PostgreSQL)');
  }
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new History(driver, retention, logger, options);
}
