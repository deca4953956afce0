import type { EventBus, ExecutionBackend, Logger, Registry, RunResult, Runnable, ScheduleView } from '@cascadence/core';
import type { Clock } from './clock';
import type { LockOptions } from './files';
import type { CatchUpOptions, OverlapPolicy } from './schedule-file';

// The public option and result types of CronScheduler.

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

/** One schedule as `jobs()` reports it: core's ScheduleView, plus what only this scheduler knows. */
export interface ScheduledJob extends ScheduleView {
  /** When the task last started from this schedule, across restarts (null: never). */
  lastRun: Date | null;
  overlap: OverlapPolicy;
  /** The entry's `catchUp` as written (`catchUpWindowMs` is the same window in ms). */
  catchUp: CatchUpOptions | undefined;
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
