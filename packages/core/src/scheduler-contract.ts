import type { Runnable } from './step-plan';

// The contract every Cascadence scheduler implements (`CronScheduler` in
// @cascadence/scheduler-cron, `TemporalScheduler` in @cascadence/temporal): one set of names,
// one set of defaults, one error for an unknown name. Each may offer more on top.

/** What happens when a fire is due while the task's previous run still goes. */
export type ScheduleOverlap = 'skip' | 'buffer-one' | 'allow';

/** The overlap policies every scheduler accepts (some accept more). */
export const SCHEDULE_OVERLAPS: readonly ScheduleOverlap[] = Object.freeze(['skip', 'buffer-one', 'allow']);

/**
 * Defaults shared by every scheduler: cron read in UTC, a fire due while the previous run goes
 * is skipped, fires missed while nothing ran them are not caught up, no jitter, not paused.
 */
export const SCHEDULER_DEFAULTS = Object.freeze({
  timezone: 'UTC',
  overlap: 'skip' as ScheduleOverlap,
  /** "Off". Temporal accepts no window under 10 s; its scheduler uses that smallest one. */
  catchUpWindowMs: 0,
  jitterMs: 0,
  paused: false,
});

/** Options of `schedule()` that every scheduler accepts, with the same meaning. */
export interface ScheduleRequest {
  /** IANA zone the expression is read in. Default: the scheduler's `timezone`. */
  timezone?: string;
  overlap?: ScheduleOverlap;
  /** Each fire is delayed by a random amount up to this many ms. */
  jitterMs?: number;
  /** Create (or leave) the schedule paused. */
  paused?: boolean;
}

/** One schedule as every scheduler reports it. */
export interface ScheduleView {
  task: string;
  /** The expression as given to `schedule()`. */
  cron: string;
  timezone: string;
  /** Next due time; null when there is none (an expression with no future fire). */
  nextRun: Date | null;
  paused: boolean;
  /** One of SCHEDULE_OVERLAPS, or a policy only that scheduler has. */
  overlap: string;
  jitterMs: number;
  /** A fire missed during downtime still runs when due at most this long ago (0: never). */
  catchUpWindowMs: number;
}

/**
 * A scheduler of tasks on cron expressions. `unschedule`, `pause` and `resume` of a task that
 * has no schedule reject with `CASCADENCE_UNKNOWN_SCHEDULE`.
 */
export interface Scheduler<View extends ScheduleView = ScheduleView> {
  /** Zone of schedules that name none. Default `UTC`. */
  readonly timezone: string;
  /** Creates or replaces the task's one schedule. */
  schedule(task: Runnable | string, cron: string, options?: ScheduleRequest): Promise<View>;
  unschedule(task: string): Promise<void>;
  pause(task: string): Promise<unknown>;
  resume(task: string): Promise<unknown>;
  /** Every schedule, sorted by task name. */
  jobs(): View[] | Promise<View[]>;
}
