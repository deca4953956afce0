import { CascadenceError, closestNames, ErrorCode } from '@cascadence/core';

/** Error codes this package adds to core's `ErrorCode` (stable, part of the public contract). */
export const ScheduleErrorCode = {
  /** A cron expression is malformed: wrong field count, value out of range, unknown macro. */
  INVALID_CRON: 'CASCADENCE_INVALID_CRON',
  /** A time zone is not a known IANA zone. */
  INVALID_TIMEZONE: 'CASCADENCE_INVALID_TIMEZONE',
  /** The schedules file is not valid YAML; details carry path, line and column. */
  SCHEDULES_PARSE: 'CASCADENCE_SCHEDULES_PARSE',
  /** The schedules file parses but an entry (or the whole file) has the wrong shape. */
  SCHEDULES_INVALID: 'CASCADENCE_SCHEDULES_INVALID',
  /** The schedules (or state) file stayed locked by another process past the retry budget. */
  SCHEDULES_LOCKED: 'CASCADENCE_SCHEDULES_LOCKED',
  /** `unschedule`/`pause`/`resume` named a task that has no schedule (core's code: every scheduler uses it). */
  UNKNOWN_SCHEDULE: ErrorCode.UNKNOWN_SCHEDULE,
  /** A schedule has no next fire time (reported through `onError` phase `schedule` and the log). */
  NO_NEXT_FIRE: 'CASCADENCE_NO_NEXT_FIRE',
  /** A bad option given to `schedule()` or `new CronScheduler()`. */
  INVALID_SCHEDULE_OPTIONS: 'CASCADENCE_INVALID_SCHEDULE_OPTIONS',
} as const;

export type ScheduleErrorCodeValue = (typeof ScheduleErrorCode)[keyof typeof ScheduleErrorCode];

/** " (did you mean "x"?)" or "". */
export function didYouMean(name: string, known: Iterable<string>): { hint: string; suggestions: string[] } {
  const suggestions = closestNames(name, known);
  return { hint: suggestions.length > 0 ? ` (did you mean "${suggestions[0]}"?)` : '', suggestions };
}

export function optionError(message: string, details: Record<string, unknown> = {}, suggestions: string[] = []): CascadenceError {
  return new CascadenceError(ScheduleErrorCode.INVALID_SCHEDULE_OPTIONS, message, { details, suggestions });
}

/** Longest value quoted in full in a message; longer ones are cut (a 1 MB entry must not make a 2 MB error line). */
export const MAX_SHOWN_CHARS = 80;

/** `JSON.stringify(value)`, cut to MAX_SHOWN_CHARS with the full length noted: `"0 0 * * * 1,2,…" (1048576 chars)`. */
export function shown(value: unknown, max = MAX_SHOWN_CHARS): string {
  if (typeof value !== 'string') return String(value);
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(`${value.slice(0, max)}…`)} (${value.length} chars)`;
}

/** A list of names for a message: the first `max`, then "and N more". */
export function shownList(names: readonly string[], max = 20): string {
  const head = names.slice(0, max).map((name) => (name.length > MAX_SHOWN_CHARS ? shown(name) : name));
  return names.length > max ? `${head.join(', ')} and ${names.length - max} more` : head.join(', ');
}
