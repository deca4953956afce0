import { CascadenceError, toError, type Logger } from '@cascadence/core';
import type { Clock } from './clock';
import type { LockOptions } from './files';
import { readScheduleState, writeScheduleState, type ScheduleRunState, type StateWriteCache } from './state';

/** What the flusher calls back into. */
export interface StateFlusherContext {
  /** The schedules file; the state file lives in `.cascadence/` beside it. */
  readonly storagePath: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lock: LockOptions;
  /** At most one write per this many ms. */
  readonly flushMs: number;
  /** False: nothing is read or written. */
  readonly persist: boolean;
  /** Whether timers may be set (between the scheduler's start and stop). */
  isStarted(): boolean;
  /**
   * True while due jobs are still being handed out (a dispatch in slices): a write then waits
   * for `dispatched()`, so serialising every job's state never delays the start of the rest.
   */
  dispatching?(): boolean;
  /** lastRun/lastSlot of every current job, copied at the moment of the call. */
  snapshot(): Array<readonly [string, ScheduleRunState]>;
  onError(error: Error): void;
}

/**
 * Keeps lastRun/lastSlot on disk without a write per fire: changes mark the state dirty, and
 * one write per `flushMs` merges them into the state file under its lock. A state file that
 * cannot be parsed stops persistence (with a warning) rather than being overwritten.
 */
export class StateFlusher {
  private dirty = false;
  private broken = false;
  /** Tasks unscheduled since the last write: their records are deleted from the file. */
  private readonly removed = new Set<string>();
  private timer: unknown;
  /** A write came due during a dispatch: it starts when the dispatch ends. */
  private afterDispatch = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private readonly cache: StateWriteCache = {};
  private flushing: Promise<void> | undefined;

  constructor(private readonly context: StateFlusherContext) {}

  /** The persisted states, by task; empty (and persistence off) when the file cannot be read. */
  load(): Map<string, ScheduleRunState> {
    if (!this.context.persist) return new Map();
    try {
      return readScheduleState(this.context.storagePath);
    } catch (error) {
      this.broken = true;
      this.context.logger.warn(`${toError(error).message}; lastRun is not persisted until it is fixed or removed`);
      return new Map();
    }
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  markDirty(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.schedule();
  }

  /** The task's record goes at the next write (unless it is scheduled again before). */
  markRemoved(task: string): void {
    this.removed.add(task);
  }

  keep(task: string): void {
    this.removed.delete(task);
  }

  /**
   * At most one write per `flushMs`, started right after the fires that dirtied the state
   * (so its parsing and serialising never sits on the next fire time of periodic jobs).
   */
  schedule(): void {
    if (!this.context.isStarted() || !this.context.persist || this.timer !== undefined) return;
    const delay = Math.max(0, this.lastFlushAt + this.context.flushMs - this.context.clock.now());
    this.timer = this.context.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.context.dispatching?.() === true) {
        this.afterDispatch = true;
        return;
      }
      void this.flush();
    }, delay);
  }

  /** The scheduler handed out the last due job of a wake-up: a write that waited for it goes now. */
  dispatched(): void {
    if (!this.afterDispatch) return;
    this.afterDispatch = false;
    if (!this.context.isStarted() || this.timer !== undefined) return;
    // On a 0 ms timer, not here: the runs' completions and pending I/O go first.
    this.timer = this.context.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, 0);
  }

  cancelTimer(): void {
    if (this.timer !== undefined) this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.afterDispatch = false;
  }

  /** Writes now (merged under the state file's lock); waits for a write already in flight. */
  async flush(): Promise<void> {
    if (!this.context.persist || this.broken) {
      this.dirty = false;
      return;
    }
    // Wait for every write in flight (another caller may start one while we wait).
    while (this.flushing !== undefined) await this.flushing;
    if (!this.dirty && this.removed.size === 0) return;
    this.dirty = false;
    this.lastFlushAt = this.context.clock.now();
    // Copy now: the merge runs later, and the write must not see half-updated states.
    const updates = this.context.snapshot();
    const removed = [...this.removed];
    const run = writeScheduleState(this.context.storagePath, updates, removed, this.context.lock, this.cache).then(
      () => {
        for (const task of removed) this.removed.delete(task);
      },
      (error: unknown) => {
        if (CascadenceError.isInstance(error) && error.code === 'CASCADENCE_SCHEDULES_PARSE') this.broken = true;
        this.context.onError(toError(error));
      },
    );
    this.flushing = run;
    try {
      await run;
    } finally {
      if (this.flushing === run) this.flushing = undefined;
    }
    if (this.dirty) this.schedule();
  }
}
