import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  CascadenceError,
  compareNames,
  consoleLogger,
  ErrorCode,
  EventBus,
  toError,
  type EventSource,
  type ExecutionBackend,
  type Logger,
  type Registry,
  type Runnable,
  type Scheduler,
} from '@cascadence/core';
import { MAX_TIMEOUT_MS, systemClock, type Clock } from './clock';
import { validateCron, validateTimeZone } from './cron';
import { optionError, shownList } from './errors';
import { fileError, signatureOf, type FileSignature, type LockOptions } from './files';
import { ScheduleFileWatcher } from './file-watcher';
import { chooseBackend } from './backend-choice';
import { FireQueue } from './fire-queue';
import { JobFiring } from './job-firing';
import { JobTable } from './job-table';
import { entryKey, type Job, type MissScan } from './job';
import { checkOptionNames, normalizeOptions, scheduleEntries, type ScheduleEntries, type ScheduleOptions } from './schedule-file';
import {
  readScheduleSource,
  readScheduleSourceSync,
  removeSchedule,
  setSchedulePaused,
  upsertSchedules,
  type UpdateResult,
} from './schedule-file-edit';
import type { CronSchedulerOptions, ScheduledJob, SchedulerErrorContext, StopOptions, StopResult } from './scheduler-options';
import { statePathFor } from './state';
import { ScheduledTasks } from './scheduled-tasks';
import { StateFlusher } from './state-flusher';

export type { CronSchedulerOptions, FireInfo, ScheduledJob, SchedulerErrorContext, StopOptions, StopResult } from './scheduler-options';

const DEFAULT_MAX_SLEEP_MS = 60 * 60 * 1000;

/**
 * Runs tasks on cron schedules kept in a YAML file (`schedules.yml`). Jobs due at the same
 * instant share one timer bucket; one timer waits for the earliest bucket.
 */
export class CronScheduler implements EventSource, Scheduler<ScheduledJob> {
  /** `schedule:fire`, `schedule:skip`, `schedule:miss` (and, with the default backend, run/step events). */
  readonly events: EventBus;
  /** Absolute path of the schedules file. */
  readonly storagePath: string;
  /** Absolute path of the state file (`.cascadence/<name>.state.json`). */
  readonly statePath: string;
  readonly timezone: string;
  readonly backend: ExecutionBackend;

  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly tasks: ScheduledTasks;
  private readonly registry: Registry | undefined;
  private readonly enabled: (task: string) => boolean;
  private readonly onRun: CronSchedulerOptions['onRun'];
  private readonly onErrorHook: CronSchedulerOptions['onError'];
  private readonly watchEnabled: boolean;
  private readonly lockOptions: LockOptions;

  // The job table: one job per scheduled task, the state that outlives edits, shared cron series.
  private readonly table: JobTable;
  private unknown: string[] = [];

  // Collaborators, each behind a small context: timers, the file watcher, the state file.
  private readonly queue: FireQueue<Job>;
  private readonly watcher: ScheduleFileWatcher;
  private readonly stateFile: StateFlusher;
  private readonly firing: JobFiring;

  private started = false;
  private abort = new AbortController();

  private reloading: Promise<void> | undefined;
  private writeQueue: Promise<unknown> = Promise.resolve();

  constructor(options: CronSchedulerOptions = {}) {
    this.storagePath = resolve(options.storagePath ?? './schedules.yml');
    this.statePath = statePathFor(this.storagePath);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleLogger('cascadence:scheduler');
    this.events = options.events ?? new EventBus();
    this.timezone = validateTimeZone(options.timezone ?? 'UTC');
    this.registry = options.registry;
    this.tasks = new ScheduledTasks(this.registry);
    this.table = new JobTable(this.timezone);
    this.onRun = options.onRun;
    this.onErrorHook = options.onError;
    this.watchEnabled = options.watch ?? true;
    const watchDebounceMs = nonNegative(options.watchDebounceMs ?? 100, 'watchDebounceMs');
    const stateFlushMs = nonNegative(options.stateFlushMs ?? 1000, 'stateFlushMs');
    const maxSleepMs = Math.min(Math.max(1, nonNegative(options.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS, 'maxSleepMs')), MAX_TIMEOUT_MS);
    this.lockOptions = options.lock ?? {};
    this.queue = new FireQueue<Job>({
      clock: this.clock,
      maxSleepMs,
      // Slices of a large dispatch continue right after pending I/O, not after a 1 ms timer.
      ...(this.clock === systemClock ? { nextTurn: (callback: () => void) => setImmediate(callback) } : {}),
      onWake: () => {
        if (this.watchEnabled) this.watcher.checkNow();
      },
      onDue: (job, now) => {
        try {
          this.firing.dispatch(job, now);
        } catch (error) {
          this.reportError(toError(error), { phase: 'run', task: job.task, scheduledAt: new Date(job.slot) });
        }
      },
      onDispatched: () => this.stateFile.dispatched(),
    });
    this.watcher = new ScheduleFileWatcher({
      path: this.storagePath,
      clock: this.clock,
      logger: this.logger,
      debounceMs: watchDebounceMs,
      reload: () => this.reload(),
      onError: (error) => this.reportError(error, { phase: 'reload' }),
    });
    this.stateFile = new StateFlusher({
      storagePath: this.storagePath,
      clock: this.clock,
      logger: this.logger,
      lock: this.lockOptions,
      flushMs: stateFlushMs,
      persist: options.persistState ?? true,
      isStarted: () => this.started,
      dispatching: () => this.queue.backlog > 0,
      snapshot: () => {
        const updates: Array<readonly [string, { lastRun: number | undefined; lastSlot: number | undefined }]> = [];
        for (const job of this.table.jobs.values()) {
          const { lastRun, lastSlot } = job.state;
          if (lastRun !== undefined || lastSlot !== undefined) updates.push([job.task, { lastRun, lastSlot }]);
        }
        return updates;
      },
      onError: (error) => this.reportError(error, { phase: 'state' }),
    });

    if (options.tasks !== undefined) {
      const list = isIterable(options.tasks) ? [...options.tasks] : Object.values(options.tasks);
      for (const runnable of list) this.tasks.add(runnable);
    }
    const registry = this.registry;
    this.enabled = options.isEnabled ?? (registry !== undefined ? (task) => registry.isEnabled(task) : () => true);
    this.backend = chooseBackend(options.backend, this.registry, this.events);
    this.firing = new JobFiring({
      clock: this.clock,
      logger: this.logger,
      events: this.events,
      table: this.table,
      onRun: this.onRun,
      hasErrorHook: this.onErrorHook !== undefined,
      backend: () => this.backend,
      signal: () => this.abort.signal,
      isStarted: () => this.started,
      isEnabled: (task) => this.enabled(task),
      enqueue: (job) => this.queue.enqueue(job),
      markDirty: () => this.markDirty(),
      reportError: (error, context) => this.reportError(error, context),
    });

    for (const [task, state] of this.stateFile.load()) this.table.states.set(task, { ...state, running: 0, buffered: Number.NaN });

    const parsed = this.readFileSync();
    if (parsed.problems[0] !== undefined) throw parsed.problems[0];
    this.reconcile(parsed);
  }

  /** Task names in the file that this scheduler was not given (left in the file untouched). */
  get unknownTasks(): string[] {
    return [...this.unknown];
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.started;
  }

  /** Arms the timers (nothing fires before this), handles missed fires, watches the file. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    this.abort = new AbortController();
    const now = this.clock.now();
    const scans = new Map<string, MissScan>();
    this.queue.start();
    this.queue.batch(() => {
      for (const job of this.table.jobs.values()) this.firing.armAtStart(job, now, scans);
    });
    if (this.watchEnabled) this.watcher.start();
    if (this.stateFile.isDirty) this.stateFile.schedule();
    return this;
  }

  /**
   * Clears every timer and stops watching; running tasks may finish until the deadline, then
   * their AbortSignal is aborted. Buffered runs are dropped. lastRun state is flushed.
   */
  async stop(options: StopOptions = {}): Promise<StopResult> {
    const wasStarted = this.started;
    this.started = false;
    this.queue.stop();
    this.watcher.stop();
    this.stateFile.cancelTimer();
    for (const job of this.table.jobs.values()) job.bucketTs = Number.NaN;
    for (const state of this.table.states.values()) state.buffered = Number.NaN;
    let aborted = false;
    if (wasStarted && this.firing.inflight > 0) {
      const timeoutMs = nonNegative(options.timeoutMs ?? 30_000, 'timeoutMs');
      if (!(await this.firing.waitIdle(timeoutMs))) {
        aborted = true;
        this.abort.abort(
          new CascadenceError(ErrorCode.CANCELLED, `scheduler stopped: running tasks did not finish within ${timeoutMs} ms`),
        );
        await this.firing.waitIdle(Math.min(timeoutMs, 1000));
      }
    }
    await this.reloading?.catch(() => undefined);
    await this.writeQueue.catch(() => undefined);
    await this.flushState();
    return { stillRunning: this.firing.inflight, aborted };
  }

  /**
   * Adds or edits the schedule of a task (one job per task: editing replaces it). The
   * expression and options are validated before the file is touched. Options left out keep
   * the file's current value; `null` resets one to its default.
   */
  async schedule(taskOrName: Runnable | string, expression: string, options: ScheduleOptions = {}): Promise<ScheduledJob> {
    return (await this.scheduleMany([{ task: taskOrName, cron: expression, options }]))[0] as ScheduledJob;
  }

  /** Like `schedule()` for many tasks in one locked write of the file. */
  async scheduleMany(requests: Array<{ task: Runnable | string; cron: string; options?: ScheduleOptions }>): Promise<ScheduledJob[]> {
    const checked = requests.map(({ task, cron, options = {} }) => {
      const name = typeof task === 'string' ? task : task.name;
      if (typeof task !== 'string') this.tasks.add(task);
      else if (this.tasks.resolve(name) === undefined) throw this.tasks.unknownError(name);
      checkOptionNames(options);
      const valid = validateCron(cron);
      normalizeOptions(options);
      return { task: name, cron: valid.expression, options };
    });
    const result = await this.serialized(() => upsertSchedules(this.storagePath, checked, this.lockOptions));
    this.applyUpdate(result);
    return checked.map(({ task }) => this.describe(this.table.jobs.get(task) as Job));
  }

  /** Removes the job and the file entry; a name with no schedule is a `CASCADENCE_UNKNOWN_SCHEDULE` error. */
  async unschedule(name: string): Promise<void> {
    const result = await this.serialized(() => removeSchedule(this.storagePath, name, this.lockOptions));
    this.applyUpdate(result);
    if (this.table.forgetState(name)) {
      this.stateFile.markRemoved(name);
      await this.flushState();
    }
  }

  /** Marks the schedule paused in the file: its fires are skipped (`schedule:skip` reason `paused`). */
  async pause(name: string): Promise<ScheduledJob | undefined> {
    return this.setPaused(name, true);
  }

  /** Clears `paused`. */
  async resume(name: string): Promise<ScheduledJob | undefined> {
    return this.setPaused(name, false);
  }

  /** The jobs this scheduler runs, by task name. */
  jobs(): ScheduledJob[] {
    return [...this.table.jobs.values()].sort((a, b) => compareNames(a.task, b.task)).map((job) => this.describe(job));
  }

  /** One job, or undefined. */
  job(task: string): ScheduledJob | undefined {
    const job = this.table.jobs.get(task);
    return job === undefined ? undefined : this.describe(job);
  }

  /** Re-reads the file now and reconciles jobs (also done automatically when the file changes). */
  async reload(): Promise<void> {
    if (this.reloading !== undefined) {
      await this.reloading;
    }
    const run = this.reloadNow();
    this.reloading = run;
    try {
      await run;
    } finally {
      if (this.reloading === run) this.reloading = undefined;
    }
  }

  // ---------------------------------------------------------------- file and reconcile

  private readFileSync(): ScheduleEntries {
    try {
      this.watcher.known = signatureOf(statSync(this.storagePath));
    } catch {
      this.watcher.known = undefined;
    }
    const source = readScheduleSourceSync(this.storagePath);
    return scheduleEntries(source?.text ?? '', this.storagePath);
  }

  private async reloadNow(): Promise<void> {
    let signature: FileSignature | undefined;
    try {
      signature = signatureOf(await stat(this.storagePath));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.reportError(fileError(this.storagePath, error, 'read', 'schedules file'), { phase: 'reload' });
        return;
      }
    }
    let parsed: ScheduleEntries;
    try {
      const source = await readScheduleSource(this.storagePath);
      parsed = scheduleEntries(source?.text ?? '', this.storagePath);
    } catch (error) {
      this.watcher.known = signature;
      this.reportError(toError(error), { phase: 'reload' });
      return;
    }
    if (signature === undefined && this.table.jobs.size > 0) {
      this.logger.warn(`${this.storagePath} was removed: stopping its ${this.table.jobs.size} schedule(s)`);
    }
    this.watcher.known = signature;
    this.reconcile(parsed);
    for (const problem of parsed.problems) this.reportError(problem, { phase: 'reload', task: problem.details.task as string | undefined });
  }

  private applyUpdate(result: UpdateResult): void {
    if (result.signature !== undefined) this.watcher.known = result.signature;
    this.reconcile(result);
  }

  /** Makes the jobs match the file's entries: unchanged jobs keep their timers. */
  private reconcile(parsed: ScheduleEntries): void {
    const seen = new Set<string>();
    const unknown: string[] = [];
    const broken = new Set(parsed.problems.map((problem) => problem.details.task));
    this.queue.batch(() => {
      for (const entry of parsed.entries) {
        const runnable = this.tasks.resolve(entry.task);
        if (runnable === undefined) {
          unknown.push(entry.task);
          continue;
        }
        seen.add(entry.task);
        const existing = this.table.get(entry.task);
        const key = entryKey(entry, this.timezone);
        if (existing !== undefined && existing.key === key && existing.runnable === runnable) continue;
        const job = this.table.put(entry, runnable, key, existing);
        this.stateFile.keep(entry.task);
        if (this.started) this.firing.armEdited(job);
      }
      for (const job of [...this.table.jobs.values()]) {
        if (!seen.has(job.task) && !broken.has(job.task)) this.table.drop(job);
      }
    });
    const before = this.unknown.join('\n');
    this.unknown = unknown.sort();
    if (unknown.length > 0 && this.unknown.join('\n') !== before) {
      this.logger.warn(
        `${this.storagePath} schedules ${unknown.length} task${unknown.length === 1 ? '' : 's'} this scheduler does not know: ${shownList(unknown)} (their entries are left in the file untouched)`,
      );
    }
  }

  private async setPaused(name: string, paused: boolean): Promise<ScheduledJob | undefined> {
    const result = await this.serialized(() => setSchedulePaused(this.storagePath, name, paused, this.lockOptions));
    this.applyUpdate(result);
    const job = this.table.jobs.get(name);
    return job === undefined ? undefined : this.describe(job);
  }

  /** File writes of this process go one at a time (the lock serialises other processes). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(fn, fn);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- events and errors

  private reportError(error: Error, context: SchedulerErrorContext): void {
    if (this.onErrorHook !== undefined) {
      try {
        this.onErrorHook(error, context);
      } catch (hookError) {
        this.logger.error('onError hook threw:', hookError);
      }
      return;
    }
    const where = context.task === undefined ? '' : ` task "${context.task}"`;
    this.logger.error(`scheduler${where} (${context.phase}): ${error.message}`);
  }

  // ---------------------------------------------------------------- state persistence

  private markDirty(): void {
    this.stateFile.markDirty();
  }

  /** Writes lastRun/lastSlot of every job now (merged under the state file's lock). */
  async flushState(): Promise<void> {
    await this.stateFile.flush();
  }

  // ---------------------------------------------------------------- misc

  private describe(job: Job): ScheduledJob {
    const next = this.started ? job.slot : job.schedule.nextAfter(this.clock.now());
    return {
      task: job.task,
      cron: job.entry.cron,
      timezone: job.timezone,
      nextRun: Number.isNaN(next) ? null : new Date(next),
      lastRun: job.state.lastRun === undefined ? null : new Date(job.state.lastRun),
      paused: job.paused,
      overlap: job.overlap,
      catchUp: job.entry.catchUp,
      catchUpWindowMs: job.catchUpMs ?? 0,
      jitterMs: job.jitterMs,
      running: job.state.running,
    };
  }
}

function isIterable(value: unknown): value is Iterable<Runnable> {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<Runnable>)[Symbol.iterator] === 'function';
}

function nonNegative(value: number, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw optionError(`${option} must be a non-negative number of milliseconds (got ${JSON.stringify(value)})`, { option });
  }
  return value;
}
