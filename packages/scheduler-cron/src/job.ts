import type { RunOptions, Runnable } from '@cascadence/core';
import type { CronSchedule } from './cron';
import type { OverlapPolicy, ScheduleEntry } from './schedule-file';
import type { ScheduleRunState } from './state';

// One schedule entry as the scheduler runs it, and the pure helpers that read its cron series.

/** What survives edits of a task's entry: persisted run times and the runs in flight. */
export interface TaskState extends ScheduleRunState {
  running: number;
  /** Due time of the one run waiting behind a running one (buffer-one), NaN when none. */
  buffered: number;
}

/** A schedule entry resolved against its task, with its place in the fire queue. */
export interface Job {
  readonly task: string;
  readonly runnable: Runnable;
  readonly entry: ScheduleEntry;
  /** Identity of the entry's settings: an edit that leaves it equal keeps the job and its timer. */
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
  /** Options of this job's runs (made at its first fire after each start()). */
  runOptions: RunOptions | undefined;
}

/** A slot count walked through at most, when counting missed fires. */
export const MAX_COUNTED_MISSES = 10_000;

/** Fires in (last, now]: how many (up to MAX_COUNTED_MISSES), the latest, and the one before it. */
export interface MissScan {
  count: number;
  latest: number;
  beforeLatest: number;
}

export function scanMissed(schedule: CronSchedule, last: number, now: number): MissScan {
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

/** Jobs with the same normalised expression and zone share one CronSchedule (its cache of fire times). */
export function seriesKey(normalized: string, timezone: string): string {
  return `${timezone}\n${normalized}`;
}

export function entryKey(entry: ScheduleEntry, defaultZone: string): string {
  return JSON.stringify([entry.cron, entry.timezone ?? defaultZone, entry.overlap, entry.catchUp, entry.jitterMs, entry.paused]);
}
