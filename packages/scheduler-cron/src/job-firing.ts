import { CascadenceError, toError, type EventBus, type ExecutionBackend, type Logger, type RunResult } from '@cascadence/core';
import type { Clock } from './clock';
import { shown, ScheduleErrorCode } from './errors';
import type { JobTable } from './job-table';
import { MAX_COUNTED_MISSES, scanMissed, seriesKey, type Job, type MissScan } from './job';
import type { CronSchedulerOptions, SchedulerErrorContext } from './scheduler-options';

/** What the fire policy needs from its scheduler (read when used: the backend and signal change). */
export interface FiringContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly table: JobTable;
  readonly onRun: CronSchedulerOptions['onRun'];
  /** With an `onError` hook, a stalled job is also logged (the hook may not). */
  readonly hasErrorHook: boolean;
  backend(): ExecutionBackend;
  /** The signal runs get: aborted when stop() gives up waiting. */
  signal(): AbortSignal;
  isStarted(): boolean;
  isEnabled(task: string): boolean;
  enqueue(job: Job): void;
  markDirty(): void;
  reportError(error: Error, context: SchedulerErrorContext): void;
}

/**
 * The fire policy of a `CronScheduler`: what happens when a job is due (run, buffer or skip a slot,
 * count misses after a stall or at start-up), and the runs in flight that stop() waits for.
 */
export class JobFiring {
  /** Runs started and not yet finished. */
  inflight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly ctx: FiringContext) {}

  /**
   * Handles the job's due slot, then queues its next one. When the process was stalled past
   * more than one slot (blocked event loop, suspended machine), only the latest due slot runs;
   * the older ones are reported as missed.
   */
  dispatch(job: Job, now: number): void {
    let slot = job.slot;
    let next = job.schedule.nextAfter(slot);
    if (next <= now) {
      let missed = 1;
      let lastMissed = slot;
      for (;;) {
        const after = job.schedule.nextAfter(next);
        if (Number.isNaN(after) || after > now || missed >= MAX_COUNTED_MISSES) break;
        missed++;
        lastMissed = next;
        next = after;
      }
      this.emitMiss(job.task, lastMissed, missed, now);
      slot = next;
      next = job.schedule.nextAfter(slot);
    }
    this.handleSlot(job, slot, now);
    job.slot = next;
    this.checkStalled(job, slot);
    this.ctx.enqueue(job);
  }

  /** Fire, buffer or skip one due slot. */
  private handleSlot(job: Job, slot: number, now: number): void {
    const state = job.state;
    state.lastSlot = slot;
    this.ctx.markDirty();
    if (job.paused) {
      this.emitSkip(job.task, slot, 'paused', now);
      return;
    }
    if (!this.isTaskEnabled(job.task)) {
      this.emitSkip(job.task, slot, 'disabled', now);
      return;
    }
    if (state.running > 0 && job.overlap !== 'allow') {
      if (job.overlap === 'buffer-one' && Number.isNaN(state.buffered)) {
        state.buffered = slot;
      } else {
        this.emitSkip(job.task, slot, 'overlap', now);
      }
      return;
    }
    this.runNow(job, slot, now);
  }

  private isTaskEnabled(task: string): boolean {
    try {
      return this.ctx.isEnabled(task);
    } catch (error) {
      this.ctx.reportError(toError(error), { phase: 'run', task });
      return false;
    }
  }

  private runNow(job: Job, slot: number, now: number): void {
    const state = job.state;
    state.running++;
    this.inflight++;
    state.lastRun = now;
    if (this.ctx.events.active) {
      const at = this.ctx.clock.now();
      this.ctx.events.emit({ type: 'schedule:fire', task: job.task, scheduledAt: slot, at, lagMs: Math.max(0, at - slot) });
    }
    // One options object per job and start(): backends only read it, and 10,000 fires a second
    // then allocate no options or trigger objects of their own.
    let runOptions = job.runOptions;
    if (runOptions === undefined || runOptions.signal !== this.ctx.signal()) {
      runOptions = { signal: this.ctx.signal(), trigger: Object.freeze({ kind: 'schedule', schedule: job.task }) };
      job.runOptions = runOptions;
    }
    let promise: Promise<RunResult>;
    try {
      promise = this.ctx.backend().run(job.runnable, undefined, runOptions);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (result) => this.finished(job, slot, now, result, undefined),
      (error: unknown) => this.finished(job, slot, now, undefined, error),
    );
  }

  private finished(job: Job, slot: number, startedAt: number, result: RunResult | undefined, error: unknown): void {
    const state = job.state;
    state.running--;
    this.inflight--;
    if (result !== undefined && this.ctx.onRun !== undefined) {
      try {
        this.ctx.onRun(result, { task: job.task, scheduledAt: new Date(slot), startedAt: new Date(startedAt) });
      } catch (hookError) {
        this.ctx.logger.error(`onRun hook threw for task "${job.task}":`, hookError);
      }
    }
    if (result === undefined || result.status !== 'succeeded') {
      const failure = result === undefined ? toError(error) : (result.error ?? new Error(`run of "${job.task}" ended ${result.status}`));
      const context: SchedulerErrorContext = { phase: 'run', task: job.task, scheduledAt: new Date(slot) };
      if (result !== undefined) context.result = result;
      this.ctx.reportError(failure, context);
    }
    if (state.running === 0 && !Number.isNaN(state.buffered)) {
      const buffered = state.buffered;
      state.buffered = Number.NaN;
      const current = this.ctx.table.jobs.get(job.task);
      if (current !== undefined && this.ctx.isStarted()) {
        const now = this.ctx.clock.now();
        if (current.paused) this.emitSkip(current.task, buffered, 'paused', now);
        else if (!this.isTaskEnabled(current.task)) this.emitSkip(current.task, buffered, 'disabled', now);
        else this.runNow(current, buffered, now);
      }
    }
    if (this.inflight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolveIdle of waiters) resolveIdle();
    }
  }

  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolveWait) => {
      let done = false;
      const timer = this.ctx.clock.setTimeout(() => {
        if (done) return;
        done = true;
        resolveWait(this.inflight === 0);
      }, timeoutMs);
      this.idleWaiters.push(() => {
        if (done) return;
        done = true;
        this.ctx.clock.clearTimeout(timer);
        resolveWait(true);
      });
    });
  }

  /** At start-up: count fires missed while nothing ran them; with catchUp, run the latest once. */
  armAtStart(job: Job, now: number, scans: Map<string, MissScan>): void {
    const state = job.state;
    const last = state.lastSlot;
    if (last === undefined) {
      state.lastSlot = now;
      this.ctx.markDirty();
    } else if (last < now) {
      const scanKey = `${seriesKey(job.schedule.normalized, job.timezone)}\n${last}`;
      let scan = scans.get(scanKey);
      if (scan === undefined) {
        scan = scanMissed(job.schedule, last, now);
        scans.set(scanKey, scan);
      }
      if (scan.count > 0) {
        state.lastSlot = scan.latest;
        this.ctx.markDirty();
        const active = !job.paused && this.isTaskEnabled(job.task);
        if (active && job.catchUpMs !== undefined && now - scan.latest <= job.catchUpMs) {
          if (scan.count > 1) this.emitMiss(job.task, scan.beforeLatest, scan.count - 1, now);
          this.handleSlot(job, scan.latest, now);
        } else if (active) {
          this.emitMiss(job.task, scan.latest, scan.count, now);
        }
      }
    }
    job.slot = job.schedule.nextAfter(now);
    this.checkStalled(job, now);
    this.ctx.enqueue(job);
  }

  /**
   * A job without a next fire time would stop firing without a word: report it (once per job)
   * through the log and `onError` (phase `schedule`); `jobs()` shows it with `nextRun: null`.
   */
  checkStalled(job: Job, after: number): void {
    if (!Number.isNaN(job.slot) || job.stalled) return;
    job.stalled = true;
    const error = new CascadenceError(
      ScheduleErrorCode.NO_NEXT_FIRE,
      `schedule "${job.task}" (${shown(job.entry.cron)} in ${job.timezone}) has no fire time after ${new Date(after).toISOString()}: it will not fire again until its entry or the clock changes`,
      { details: { task: job.task, cron: job.entry.cron, timezone: job.timezone, after } },
    );
    if (this.ctx.events.active) {
      this.ctx.events.emit({
        type: 'schedule:stall',
        task: job.task,
        scheduledAt: after,
        at: Date.now(),
        cron: job.entry.cron,
        timezone: job.timezone,
      });
    }
    if (this.ctx.hasErrorHook) this.ctx.logger.error(`scheduler task "${job.task}" (schedule): ${error.message}`);
    this.ctx.reportError(error, { phase: 'schedule', task: job.task });
  }

  /** A job (new or edited) of a started scheduler: due from now on, its state initialised. */
  armEdited(job: Job): void {
    const now = this.ctx.clock.now();
    if (job.state.lastSlot === undefined) {
      job.state.lastSlot = now;
      this.ctx.markDirty();
    }
    job.slot = job.schedule.nextAfter(now);
    this.checkStalled(job, now);
    this.ctx.enqueue(job);
  }

  private emitSkip(task: string, scheduledAt: number, reason: 'overlap' | 'disabled' | 'paused', now: number): void {
    if (this.ctx.events.active) this.ctx.events.emit({ type: 'schedule:skip', task, scheduledAt, at: now, reason });
  }

  private emitMiss(task: string, scheduledAt: number, count: number, now: number): void {
    if (this.ctx.events.active) this.ctx.events.emit({ type: 'schedule:miss', task, scheduledAt, at: now, count });
  }
}
