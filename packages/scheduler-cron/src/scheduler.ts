import { existsSync, mkdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  CascadenceError,
  consoleLogger,
  Engine,
  ErrorCode,
  EventBus,
  LocalBackend,
  toError,
  type EventSource,
  type ExecutionBackend,
  type Logger,
  type Registry,
  type RunResult,
  type Runnable,
} from '@cascadence/core';
import { MAX_TIMEOUT_MS, systemClock, type Clock } from './clock';
import { CronSchedule, validateCron, validateTimeZone } from './cron';
import { parseDuration } from './duration';
import { didYouMean, optionError, ScheduleErrorCode, shown, shownList } from './errors';
import { fileError, resolveWriteTargetSync, sameSignature, signatureOf, type FileSignature, type LockOptions } from './files';
import { MinHeap } from './heap';
import {
  checkOptionNames,
  normalizeOptions,
  parseSchedules,
  readScheduleSource,
  readScheduleSourceSync,
  removeSchedule,
  setSchedulePaused,
  upsertSchedules,
  type CatchUpOptions,
  type OverlapPolicy,
  type ParsedSchedules,
  type ScheduleEntry,
  type ScheduleOptions,
  type UpdateResult,
} from './schedule-file';
import { readScheduleState, statePathFor, writeScheduleState, type ScheduleRunState, type StateWriteCache } from './state';

/** Which fire a hook is about. */
export interface FireInfo {
  task: string;
  /** The due time from the cron expression. */
  scheduledAt: Date;
  /** When the scheduler handed the run to the backend. */
  startedAt: Date;
}

/** Where an error reported to `onError` came from. */
export interface SchedulerErrorContext {
  /**
   * `run`: a fired run failed; `reload`: the schedules file could not be applied; `state`:
   * lastRun could not be saved; `schedule`: a schedule has no next fire time and stopped firing.
   */
  phase: 'run' | 'reload' | 'state' | 'schedule';
  task?: string;
  scheduledAt?: Date;
  /** The failed run's result, when the backend returned one. */
  result?: RunResult;
}

export interface CronSchedulerOptions {
  /** The schedules file, relative to the working directory. Default `./schedules.yml`. */
  storagePath?: string;
  /** The tasks and flows that may be scheduled, as a list or a name → task record. */
  tasks?: Iterable<Runnable> | Record<string, Runnable>;
  /** A core Registry: its tasks can be scheduled, its disabled tasks do not fire, `backend` may name one of its backends. */
  registry?: Registry;
  /** Zone of entries that name none. Default `UTC`. */
  timezone?: string;
  /** Runs each fire. Default: a LocalBackend whose engine emits on `scheduler.events`. A string names a registry backend. */
  backend?: ExecutionBackend | string;
  /** Asked at every fire; false skips it (`schedule:skip` reason `disabled`). Default: the registry's, else always true. */
  isEnabled?: (task: string) => boolean;
  /** Bus for `schedule:fire|skip|miss` (and the default backend's run events). Default: a new one. */
  events?: EventBus;
  /** Time source (inject a fake one in tests). */
  clock?: Clock;
  /** Warnings (unknown tasks in the file, reload problems). Default: the console. */
  logger?: Logger;
  /** Called after every run the scheduler started, with its result. */
  onRun?: (result: RunResult, fire: FireInfo) => void;
  /** Failed runs and background problems. Default: `logger.error`. */
  onError?: (error: Error, context: SchedulerErrorContext) => void;
  /** Pick up changes other processes make to the file (fs.watch + a stat on each wake-up). Default true. */
  watch?: boolean;
  /** Quiet time after a file change before it is re-read. Default 100 ms. */
  watchDebounceMs?: number;
  /** lastRun/lastSlot are written at most this often (batched, never per fire). Default 1000 ms. */
  stateFlushMs?: number;
  /** Keep lastRun/lastSlot in `.cascadence/` beside the file (needed for catch-up and miss counts). Default true. */
  persistState?: boolean;
  /** Longest single timer; longer waits are chained and re-check the wall clock. Default 1 h, at most 2^31-1 ms. */
  maxSleepMs?: number;
  /** Lock tuning for the schedules and state files. */
  lock?: LockOptions;
}

/** One schedule as `jobs()` reports it. */
export interface ScheduledJob {
  task: string;
  cron: string;
  timezone: string;
  /** Next due time (null when the expression has no future fire). */
  nextRun: Date | null;
  /** When the task last started from this schedule, across restarts (null: never). */
  lastRun: Date | null;
  paused: boolean;
  overlap: OverlapPolicy;
  catchUp: CatchUpOptions | undefined;
  jitterMs: number;
  /** Runs of this task started by the scheduler and not finished yet. */
  running: number;
}

export interface StopOptions {
  /** How long running tasks may take to finish before their signal is aborted. Default 30 000 ms. */
  timeoutMs?: number;
}

export interface StopResult {
  /** Runs still going when stop() returned (after the deadline and the abort). */
  stillRunning: number;
  /** True when the deadline passed and running tasks were aborted. */
  aborted: boolean;
}

interface TaskState extends ScheduleRunState {
  running: number;
  /** Due time of the one run waiting behind a running one (buffer-one), NaN when none. */
  buffered: number;
}

interface Job {
  readonly task: string;
  readonly runnable: Runnable;
  readonly entry: ScheduleEntry;
  readonly key: string;
  readonly schedule: CronSchedule;
  readonly timezone: string;
  readonly overlap: OverlapPolicy;
  readonly catchUpMs: number | undefined;
  readonly jitterMs: number;
  readonly paused: boolean;
  readonly state: TaskState;
  /** Next due time (NaN: none). */
  slot: number;
  /** Time of the bucket holding this job; NaN when not queued. */
  bucketTs: number;
  removed: boolean;
  /** Reported as having no next fire (once). */
  stalled: boolean;
}

/** A slot count walked through at most, when counting missed fires. */
const MAX_COUNTED_MISSES = 10_000;
const DEFAULT_MAX_SLEEP_MS = 60 * 60 * 1000;

/**
 * Runs tasks on cron schedules kept in a YAML file (`schedules.yml`). Jobs due at the same
 * instant share one timer bucket; one timer waits for the earliest bucket.
 */
export class CronScheduler implements EventSource {
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
  private readonly taskMap = new Map<string, Runnable>();
  private readonly registry: Registry | undefined;
  private readonly enabled: (task: string) => boolean;
  private readonly onRun: CronSchedulerOptions['onRun'];
  private readonly onErrorHook: CronSchedulerOptions['onError'];
  private readonly watchEnabled: boolean;
  private readonly watchDebounceMs: number;
  private readonly stateFlushMs: number;
  private readonly persistState: boolean;
  private readonly maxSleepMs: number;
  private readonly lockOptions: LockOptions;

  private readonly jobMap = new Map<string, Job>();
  private readonly states = new Map<string, TaskState>();
  private readonly series = new Map<string, { schedule: CronSchedule; users: number }>();
  private readonly buckets = new Map<number, Job[]>();
  private readonly heap = new MinHeap();
  private unknown: string[] = [];

  private started = false;
  private timer: unknown;
  private timerTarget = Number.NaN;
  private dispatching = false;
  private abort = new AbortController();
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];

  private fileSignature: FileSignature | undefined;
  private watchers: FSWatcher[] = [];
  private reloadTimer: unknown;
  private reloading: Promise<void> | undefined;
  private writeQueue: Promise<unknown> = Promise.resolve();

  private stateDirty = false;
  private stateBroken = false;
  private readonly removedStates = new Set<string>();
  private flushTimer: unknown;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private readonly stateCache: StateWriteCache = {};
  private flushing: Promise<void> | undefined;

  constructor(options: CronSchedulerOptions = {}) {
    this.storagePath = resolve(options.storagePath ?? './schedules.yml');
    this.statePath = statePathFor(this.storagePath);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleLogger('cascadence:scheduler');
    this.events = options.events ?? new EventBus();
    this.timezone = validateTimeZone(options.timezone ?? 'UTC');
    this.registry = options.registry;
    this.onRun = options.onRun;
    this.onErrorHook = options.onError;
    this.watchEnabled = options.watch ?? true;
    this.watchDebounceMs = nonNegative(options.watchDebounceMs ?? 100, 'watchDebounceMs');
    this.stateFlushMs = nonNegative(options.stateFlushMs ?? 1000, 'stateFlushMs');
    this.persistState = options.persistState ?? true;
    this.maxSleepMs = Math.min(Math.max(1, nonNegative(options.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS, 'maxSleepMs')), MAX_TIMEOUT_MS);
    this.lockOptions = options.lock ?? {};

    if (options.tasks !== undefined) {
      const list = isIterable(options.tasks) ? [...options.tasks] : Object.values(options.tasks);
      for (const runnable of list) this.taskMap.set(runnable.name, runnable);
    }
    const registry = this.registry;
    this.enabled = options.isEnabled ?? (registry !== undefined ? (task) => registry.isEnabled(task) : () => true);
    this.backend = this.pickBackend(options.backend);

    if (this.persistState) {
      try {
        for (const [task, state] of readScheduleState(this.storagePath)) this.states.set(task, { ...state, running: 0, buffered: Number.NaN });
      } catch (error) {
        this.stateBroken = true;
        this.logger.warn(`${toError(error).message}; lastRun is not persisted until it is fixed or removed`);
      }
    }

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
    this.dispatching = true;
    try {
      for (const job of this.jobMap.values()) this.armAtStart(job, now, scans);
    } finally {
      this.dispatching = false;
    }
    this.startWatching();
    this.rearm();
    if (this.stateDirty) this.scheduleFlush();
    return this;
  }

  /**
   * Clears every timer and stops watching; running tasks may finish until the deadline, then
   * their AbortSignal is aborted. Buffered runs are dropped. lastRun state is flushed.
   */
  async stop(options: StopOptions = {}): Promise<StopResult> {
    const wasStarted = this.started;
    this.started = false;
    this.clearTimer();
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    if (this.reloadTimer !== undefined) this.clock.clearTimeout(this.reloadTimer);
    this.reloadTimer = undefined;
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.heap.clear();
    this.buckets.clear();
    for (const job of this.jobMap.values()) job.bucketTs = Number.NaN;
    for (const state of this.states.values()) state.buffered = Number.NaN;
    let aborted = false;
    if (wasStarted && this.inflight > 0) {
      const timeoutMs = nonNegative(options.timeoutMs ?? 30_000, 'timeoutMs');
      if (!(await this.waitIdle(timeoutMs))) {
        aborted = true;
        this.abort.abort(new CascadenceError(ErrorCode.CANCELLED, `scheduler stopped: running tasks did not finish within ${timeoutMs} ms`));
        await this.waitIdle(Math.min(timeoutMs, 1000));
      }
    }
    await this.reloading?.catch(() => undefined);
    await this.writeQueue.catch(() => undefined);
    await this.flushState();
    return { stillRunning: this.inflight, aborted };
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
      if (typeof task !== 'string') this.taskMap.set(task.name, task);
      else if (this.resolveTask(name) === undefined) throw this.unknownTaskError(name);
      checkOptionNames(options);
      const valid = validateCron(cron);
      normalizeOptions(options);
      return { task: name, cron: valid.expression, options };
    });
    const result = await this.serialized(() => upsertSchedules(this.storagePath, checked, this.lockOptions));
    this.applyUpdate(result);
    return checked.map(({ task }) => this.describe(this.jobMap.get(task) as Job));
  }

  /** Removes the job and the file entry; a name with no schedule is a `CASCADENCE_UNKNOWN_SCHEDULE` error. */
  async unschedule(name: string): Promise<void> {
    const result = await this.serialized(() => removeSchedule(this.storagePath, name, this.lockOptions));
    this.applyUpdate(result);
    if (this.states.has(name)) {
      this.states.delete(name);
      this.removedStates.add(name);
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
    return [...this.jobMap.values()].sort((a, b) => a.task.localeCompare(b.task)).map((job) => this.describe(job));
  }

  /** One job, or undefined. */
  job(task: string): ScheduledJob | undefined {
    const job = this.jobMap.get(task);
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

  private readFileSync(): ParsedSchedules {
    try {
      this.fileSignature = signatureOf(statSync(this.storagePath));
    } catch {
      this.fileSignature = undefined;
    }
    const source = readScheduleSourceSync(this.storagePath);
    return parseSchedules(source?.text ?? '', this.storagePath);
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
    let parsed: ParsedSchedules;
    try {
      const source = await readScheduleSource(this.storagePath);
      parsed = parseSchedules(source?.text ?? '', this.storagePath);
    } catch (error) {
      this.fileSignature = signature;
      this.reportError(toError(error), { phase: 'reload' });
      return;
    }
    if (signature === undefined && this.jobMap.size > 0) {
      this.logger.warn(`${this.storagePath} was removed: stopping its ${this.jobMap.size} schedule(s)`);
    }
    this.fileSignature = signature;
    this.reconcile(parsed);
    for (const problem of parsed.problems) this.reportError(problem, { phase: 'reload', task: problem.details.task as string | undefined });
  }

  private applyUpdate(result: UpdateResult): void {
    if (result.signature !== undefined) this.fileSignature = result.signature;
    this.reconcile({ path: this.storagePath, doc: undefined as never, text: '', position: () => ({ line: 0, column: 0 }), entries: result.entries, problems: result.problems });
  }

  /** Makes the jobs match the file's entries: unchanged jobs keep their timers. */
  private reconcile(parsed: ParsedSchedules): void {
    const seen = new Set<string>();
    const unknown: string[] = [];
    const broken = new Set(parsed.problems.map((problem) => problem.details.task));
    this.dispatching = true;
    try {
      for (const entry of parsed.entries) {
        const runnable = this.resolveTask(entry.task);
        if (runnable === undefined) {
          unknown.push(entry.task);
          continue;
        }
        seen.add(entry.task);
        const existing = this.jobMap.get(entry.task);
        const key = entryKey(entry, this.timezone);
        if (existing !== undefined && existing.key === key && existing.runnable === runnable) continue;
        this.putJob(entry, runnable, key, existing);
      }
      for (const job of [...this.jobMap.values()]) {
        if (!seen.has(job.task) && !broken.has(job.task)) this.dropJob(job);
      }
    } finally {
      this.dispatching = false;
    }
    const before = this.unknown.join('\n');
    this.unknown = unknown.sort();
    if (unknown.length > 0 && this.unknown.join('\n') !== before) {
      this.logger.warn(
        `${this.storagePath} schedules ${unknown.length} task${unknown.length === 1 ? '' : 's'} this scheduler does not know: ${shownList(unknown)} (their entries are left in the file untouched)`,
      );
    }
    this.rearm();
  }

  private putJob(entry: ScheduleEntry, runnable: Runnable, key: string, existing: Job | undefined): void {
    const timezone = entry.timezone ?? this.timezone;
    let state = this.states.get(entry.task);
    if (state === undefined) {
      state = { running: 0, buffered: Number.NaN };
      this.states.set(entry.task, state);
    }
    this.removedStates.delete(entry.task);
    const job: Job = {
      task: entry.task,
      runnable,
      entry,
      key,
      schedule: this.acquireSeries(entry.cron, timezone),
      timezone,
      overlap: entry.overlap ?? 'skip',
      catchUpMs: entry.catchUp === undefined ? undefined : parseDuration(entry.catchUp.window, 'catchUp.window'),
      jitterMs: entry.jitterMs ?? 0,
      paused: entry.paused ?? false,
      state,
      slot: Number.NaN,
      bucketTs: Number.NaN,
      removed: false,
      stalled: false,
    };
    if (existing !== undefined) this.retire(existing);
    this.jobMap.set(entry.task, job);
    if (this.started) {
      const now = this.clock.now();
      if (state.lastSlot === undefined) {
        state.lastSlot = now;
        this.markDirty();
      }
      job.slot = job.schedule.nextAfter(now);
      this.checkStalled(job, now);
      this.enqueue(job);
    }
  }

  private dropJob(job: Job): void {
    this.retire(job);
    this.jobMap.delete(job.task);
  }

  private retire(job: Job): void {
    job.removed = true;
    job.bucketTs = Number.NaN;
    const key = seriesKey(job.schedule.normalized, job.timezone);
    const shared = this.series.get(key);
    if (shared !== undefined && --shared.users <= 0) this.series.delete(key);
  }

  private acquireSeries(cron: string, timezone: string): CronSchedule {
    const key = seriesKey(validateCron(cron).normalized, timezone);
    let shared = this.series.get(key);
    if (shared === undefined) {
      shared = { schedule: new CronSchedule(cron, timezone), users: 0 };
      this.series.set(key, shared);
    }
    shared.users++;
    return shared.schedule;
  }

  private resolveTask(name: string): Runnable | undefined {
    const own = this.taskMap.get(name);
    if (own !== undefined) return own;
    if (this.registry?.has(name)) return this.registry.get(name);
    return undefined;
  }

  private knownTaskNames(): string[] {
    const names = new Set(this.taskMap.keys());
    for (const entry of this.registry?.list() ?? []) names.add(entry.name);
    return [...names];
  }

  private unknownTaskError(name: string): CascadenceError {
    const known = this.knownTaskNames();
    const { hint, suggestions } = didYouMean(name, known);
    return new CascadenceError(ErrorCode.UNKNOWN_TASK, `cannot schedule unknown task "${name}"${hint}`, {
      details: { task: name, known },
      suggestions,
    });
  }

  private async setPaused(name: string, paused: boolean): Promise<ScheduledJob | undefined> {
    const result = await this.serialized(() => setSchedulePaused(this.storagePath, name, paused, this.lockOptions));
    this.applyUpdate(result);
    const job = this.jobMap.get(name);
    return job === undefined ? undefined : this.describe(job);
  }

  /** File writes of this process go one at a time (the lock serialises other processes). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(fn, fn);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- watching

  /**
   * Watches the file's folder and, when the file is a symlink, its target's folder too (edits
   * made to the target must be noticed; the link itself may also be re-pointed).
   */
  private startWatching(): void {
    if (!this.watchEnabled) return;
    const places = new Map<string, string>([[dirname(this.storagePath), basename(this.storagePath)]]);
    try {
      const target = resolveWriteTargetSync(this.storagePath);
      if (target !== this.storagePath) places.set(dirname(target), basename(target));
    } catch {
      // an unreadable link: the per-wake-up stat still notices changes
    }
    for (const [dir, name] of places) {
      try {
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
        const watcher = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || filename === name || [...places.values()].includes(filename)) this.scheduleReload();
        });
        watcher.on('error', (error) => {
          this.logger.warn(`stopped watching ${dir} (${error.message}); changes are still noticed at each timer`);
          watcher.close();
          this.watchers = this.watchers.filter((w) => w !== watcher);
        });
        this.watchers.push(watcher);
      } catch (error) {
        this.logger.warn(`cannot watch ${dir} (${toError(error).message}); changes are still noticed at each timer`);
      }
    }
  }

  private scheduleReload(): void {
    if (!this.started) return;
    if (this.reloadTimer !== undefined) this.clock.clearTimeout(this.reloadTimer);
    this.reloadTimer = this.clock.setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reloadIfChanged();
    }, this.watchDebounceMs);
  }

  private async reloadIfChanged(): Promise<void> {
    if (!this.started) return;
    let signature: FileSignature | undefined;
    try {
      signature = signatureOf(await stat(this.storagePath));
    } catch {
      signature = undefined;
    }
    if (sameSignature(signature, this.fileSignature)) return;
    try {
      await this.reload();
    } catch (error) {
      this.reportError(toError(error), { phase: 'reload' });
    }
  }

  /** One `stat` per wake-up: notices edits even where fs.watch is unreliable. */
  private checkFileChanged(): void {
    if (!this.watchEnabled) return;
    let signature: FileSignature | undefined;
    try {
      signature = signatureOf(statSync(this.storagePath));
    } catch {
      signature = undefined;
    }
    if (!sameSignature(signature, this.fileSignature)) this.scheduleReload();
  }

  // ---------------------------------------------------------------- timers

  private enqueue(job: Job): void {
    if (Number.isNaN(job.slot) || job.removed) {
      job.bucketTs = Number.NaN;
      return;
    }
    const at = job.jitterMs > 0 ? job.slot + Math.floor(Math.random() * (job.jitterMs + 1)) : job.slot;
    if (job.bucketTs === at) return;
    job.bucketTs = at;
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(at, bucket);
      this.heap.push(at);
    }
    bucket.push(job);
    if (!this.dispatching) this.rearm();
  }

  private rearm(): void {
    if (!this.started || this.dispatching) return;
    const head = this.heap.peek();
    if (head === undefined) {
      this.clearTimer();
      return;
    }
    if (this.timer !== undefined && this.timerTarget === head) return;
    this.clearTimer();
    const delay = Math.min(Math.max(0, head - this.clock.now()), this.maxSleepMs);
    this.timerTarget = head;
    this.timer = this.clock.setTimeout(this.onTimer, delay);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerTarget = Number.NaN;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerTarget = Number.NaN;
    if (!this.started) return;
    this.checkFileChanged();
    const now = this.clock.now();
    this.dispatching = true;
    try {
      let head = this.heap.peek();
      while (head !== undefined && head <= now) {
        this.heap.pop();
        const bucket = this.buckets.get(head);
        this.buckets.delete(head);
        if (bucket !== undefined) {
          for (let i = 0; i < bucket.length; i++) {
            const job = bucket[i] as Job;
            if (job.bucketTs !== head || job.removed) continue;
            job.bucketTs = Number.NaN;
            try {
              this.dispatch(job, now);
            } catch (error) {
              this.reportError(toError(error), { phase: 'run', task: job.task, scheduledAt: new Date(job.slot) });
            }
          }
        }
        head = this.heap.peek();
      }
    } finally {
      this.dispatching = false;
    }
    this.rearm();
  };

  /**
   * Handles the job's due slot, then queues its next one. When the process was stalled past
   * more than one slot (blocked event loop, suspended machine), only the latest due slot runs;
   * the older ones are reported as missed.
   */
  private dispatch(job: Job, now: number): void {
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
    this.enqueue(job);
  }

  /** Fire, buffer or skip one due slot. */
  private handleSlot(job: Job, slot: number, now: number): void {
    const state = job.state;
    state.lastSlot = slot;
    this.markDirty();
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
      return this.enabled(task);
    } catch (error) {
      this.reportError(toError(error), { phase: 'run', task });
      return false;
    }
  }

  private runNow(job: Job, slot: number, now: number): void {
    const state = job.state;
    state.running++;
    this.inflight++;
    state.lastRun = now;
    if (this.events.active) {
      const at = this.clock.now();
      this.events.emit({ type: 'schedule:fire', task: job.task, scheduledAt: slot, at, lagMs: Math.max(0, at - slot) });
    }
    let promise: Promise<RunResult>;
    try {
      promise = this.backend.run(job.runnable, undefined, { signal: this.abort.signal, trigger: { kind: 'schedule', schedule: job.task } });
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
    if (result !== undefined && this.onRun !== undefined) {
      try {
        this.onRun(result, { task: job.task, scheduledAt: new Date(slot), startedAt: new Date(startedAt) });
      } catch (hookError) {
        this.logger.error(`onRun hook threw for task "${job.task}":`, hookError);
      }
    }
    if (result === undefined || result.status !== 'succeeded') {
      const failure = result === undefined ? toError(error) : (result.error ?? new Error(`run of "${job.task}" ended ${result.status}`));
      const context: SchedulerErrorContext = { phase: 'run', task: job.task, scheduledAt: new Date(slot) };
      if (result !== undefined) context.result = result;
      this.reportError(failure, context);
    }
    if (state.running === 0 && !Number.isNaN(state.buffered)) {
      const buffered = state.buffered;
      state.buffered = Number.NaN;
      const current = this.jobMap.get(job.task);
      if (current !== undefined && this.started) {
        const now = this.clock.now();
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

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolveWait) => {
      let done = false;
      const timer = this.clock.setTimeout(() => {
        if (done) return;
        done = true;
        resolveWait(this.inflight === 0);
      }, timeoutMs);
      this.idleWaiters.push(() => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        resolveWait(true);
      });
    });
  }

  /** At start-up: count fires missed while nothing ran them; with catchUp, run the latest once. */
  private armAtStart(job: Job, now: number, scans: Map<string, MissScan>): void {
    const state = job.state;
    const last = state.lastSlot;
    if (last === undefined) {
      state.lastSlot = now;
      this.markDirty();
    } else if (last < now) {
      const scanKey = `${seriesKey(job.schedule.normalized, job.timezone)}\n${last}`;
      let scan = scans.get(scanKey);
      if (scan === undefined) {
        scan = scanMissed(job.schedule, last, now);
        scans.set(scanKey, scan);
      }
      if (scan.count > 0) {
        state.lastSlot = scan.latest;
        this.markDirty();
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
    this.enqueue(job);
  }

  /**
   * A job without a next fire time would stop firing without a word: report it (once per job)
   * through the log and `onError` (phase `schedule`); `jobs()` shows it with `nextRun: null`.
   */
  private checkStalled(job: Job, after: number): void {
    if (!Number.isNaN(job.slot) || job.stalled) return;
    job.stalled = true;
    const error = new CascadenceError(
      ScheduleErrorCode.NO_NEXT_FIRE,
      `schedule "${job.task}" (${shown(job.entry.cron)} in ${job.timezone}) has no fire time after ${new Date(after).toISOString()}: it will not fire again until its entry or the clock changes`,
      { details: { task: job.task, cron: job.entry.cron, timezone: job.timezone, after } },
    );
    if (this.events.active) {
      this.events.emit({ type: 'schedule:stall', task: job.task, scheduledAt: after, at: Date.now(), cron: job.entry.cron, timezone: job.timezone });
    }
    if (this.onErrorHook !== undefined) this.logger.error(`scheduler task "${job.task}" (schedule): ${error.message}`);
    this.reportError(error, { phase: 'schedule', task: job.task });
  }

  // ---------------------------------------------------------------- events and errors

  private emitSkip(task: string, scheduledAt: number, reason: 'overlap' | 'disabled' | 'paused', now: number): void {
    if (this.events.active) this.events.emit({ type: 'schedule:skip', task, scheduledAt, at: now, reason });
  }

  private emitMiss(task: string, scheduledAt: number, count: number, now: number): void {
    if (this.events.active) this.events.emit({ type: 'schedule:miss', task, scheduledAt, at: now, count });
  }

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
    if (this.stateDirty) return;
    this.stateDirty = true;
    this.scheduleFlush();
  }

  /**
   * At most one write per `stateFlushMs`, started right after the fires that dirtied the state
   * (so its parsing and serialising never sits on the next fire time of periodic jobs).
   */
  private scheduleFlush(): void {
    if (!this.started || !this.persistState || this.flushTimer !== undefined) return;
    const delay = Math.max(0, this.lastFlushAt + this.stateFlushMs - this.clock.now());
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushState();
    }, delay);
  }

  /** Writes lastRun/lastSlot of every job now (merged under the state file's lock). */
  async flushState(): Promise<void> {
    if (!this.persistState || this.stateBroken) {
      this.stateDirty = false;
      return;
    }
    // Wait for every write in flight (another caller may start one while we wait).
    while (this.flushing !== undefined) await this.flushing;
    if (!this.stateDirty && this.removedStates.size === 0) return;
    this.stateDirty = false;
    this.lastFlushAt = this.clock.now();
    // Copy now: the merge runs later, and the write must not see half-updated states.
    const updates: Array<readonly [string, ScheduleRunState]> = [];
    for (const job of this.jobMap.values()) {
      const { lastRun, lastSlot } = job.state;
      if (lastRun !== undefined || lastSlot !== undefined) updates.push([job.task, { lastRun, lastSlot }]);
    }
    const removed = [...this.removedStates];
    const run = writeScheduleState(this.storagePath, updates, removed, this.lockOptions, this.stateCache).then(
      () => {
        for (const task of removed) this.removedStates.delete(task);
      },
      (error: unknown) => {
        if (CascadenceError.isInstance(error) && error.code === 'CASCADENCE_SCHEDULES_PARSE') this.stateBroken = true;
        this.reportError(toError(error), { phase: 'state' });
      },
    );
    this.flushing = run;
    try {
      await run;
    } finally {
      if (this.flushing === run) this.flushing = undefined;
    }
    if (this.stateDirty) this.scheduleFlush();
  }

  // ---------------------------------------------------------------- misc

  private pickBackend(backend: ExecutionBackend | string | undefined): ExecutionBackend {
    if (backend === undefined) {
      const engineOptions: ConstructorParameters<typeof Engine>[0] = { events: this.events };
      if (this.registry !== undefined) engineOptions.resolver = this.registry;
      return new LocalBackend(new Engine(engineOptions));
    }
    if (typeof backend === 'string') {
      if (backend === 'local' && this.registry?.backends().every((b) => b.name !== 'local') !== false) return this.pickBackend(undefined);
      if (this.registry === undefined) throw optionError(`backend "${backend}" is a name but no registry was given to look it up in`, { option: 'backend' });
      return this.registry.getBackend(backend);
    }
    if (typeof backend.run !== 'function') throw optionError('backend must be an ExecutionBackend (with a run() method) or a backend name', { option: 'backend' });
    return backend;
  }

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
      jitterMs: job.jitterMs,
      running: job.state.running,
    };
  }
}

interface MissScan {
  count: number;
  latest: number;
  beforeLatest: number;
}

/** Slots in (last, now], counted up to MAX_COUNTED_MISSES. */
function scanMissed(schedule: CronSchedule, last: number, now: number): MissScan {
  let count = 0;
  let latest = Number.NaN;
  let beforeLatest = Number.NaN;
  let at = schedule.nextAfter(last);
  while (!Number.isNaN(at) && at <= now && count < MAX_COUNTED_MISSES) {
    count++;
    beforeLatest = latest;
    latest = at;
    at = schedule.nextAfter(at);
  }
  return { count, latest, beforeLatest };
}

function seriesKey(normalized: string, timezone: string): string {
  return `${timezone}\n${normalized}`;
}

function entryKey(entry: ScheduleEntry, defaultZone: string): string {
  return JSON.stringify([entry.cron, entry.timezone ?? defaultZone, entry.overlap, entry.catchUp, entry.jitterMs, entry.paused]);
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
