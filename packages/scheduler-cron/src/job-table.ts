import type { Runnable } from '@cascadence/core';
import { CronSchedule, validateCron } from './cron';
import { parseDuration } from './duration';
import { seriesKey, type Job, type TaskState } from './job';
import type { ScheduleEntry } from './schedule-file';

/**
 * The scheduler's jobs by task name, the per-task state that outlives edits of an entry (run
 * times, runs in flight), and the cron series jobs share: entries with the same expression and
 * zone use one CronSchedule, so its cache of fire times is computed once.
 */
export class JobTable {
  readonly jobs = new Map<string, Job>();
  readonly states = new Map<string, TaskState>();
  private readonly series = new Map<string, { schedule: CronSchedule; users: number }>();

  /** Zone of entries that name none. */
  constructor(private readonly defaultZone: string) {}

  get(task: string): Job | undefined {
    return this.jobs.get(task);
  }

  /** A fresh job for the entry (not queued), replacing `existing`, which is retired. */
  put(entry: ScheduleEntry, runnable: Runnable, key: string, existing: Job | undefined): Job {
    const timezone = entry.timezone ?? this.defaultZone;
    let state = this.states.get(entry.task);
    if (state === undefined) {
      state = { running: 0, buffered: Number.NaN };
      this.states.set(entry.task, state);
    }
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
      runOptions: undefined,
    };
    if (existing !== undefined) this.retire(existing);
    this.jobs.set(entry.task, job);
    return job;
  }

  drop(job: Job): void {
    this.retire(job);
    this.jobs.delete(job.task);
  }

  /** Forgets a task's state (it was unscheduled); true when it had one. */
  forgetState(task: string): boolean {
    return this.states.delete(task);
  }

  /** Marks the job removed (its queue entries are skipped) and releases its series. */
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
}
