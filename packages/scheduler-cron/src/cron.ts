import { CascadenceError } from '@cascadence/core';
import { CronExpressionParser } from 'cron-parser';
import { formatterFor, nextFireAfter, zoneOffsets, type ZoneOffsets } from './next-fire';
import { WallClockCron } from './wall-clock';
import { didYouMean, ScheduleErrorCode, shown } from './errors';

/** Macros accepted in place of a crontab line, and the 5- or 6-field line each stands for. */
export const CRON_MACROS: Readonly<Record<string, string>> = Object.freeze({
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
  '@minutely': '* * * * *',
  '@secondly': '* * * * * *',
  '@weekdays': '0 0 * * 1-5',
  '@weekends': '0 0 * * 0,6',
});

const FIELD_NAMES = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
const FIELD_RANGES = ['0-59', '0-59', '0-23', '1-31', '1-12 or jan-dec', '0-7 or sun-sat'] as const;
/** A fixed instant to validate against, so validation does not depend on the clock. */
const VALIDATION_DATE = Date.UTC(2024, 0, 1);

export interface ValidatedCron {
  /** The expression as given (trimmed). */
  expression: string;
  /** Always six fields, seconds first (macros expanded, `0` seconds added to 5-field lines). */
  normalized: string;
  /** True when the expression has a seconds field (6 fields, or `@secondly`). */
  hasSeconds: boolean;
}

function cronError(
  expression: unknown,
  problem: string,
  details: Record<string, unknown> = {},
  suggestions: string[] = [],
): CascadenceError {
  return new CascadenceError(ScheduleErrorCode.INVALID_CRON, `invalid cron expression ${shown(expression)}: ${problem}`, {
    details: { expression, problem, ...details },
    suggestions,
  });
}

/**
 * Checks a cron expression without touching any file: 5 fields (minute hour day-of-month month
 * day-of-week), 6 fields (seconds first), or a macro such as `@daily`. Throws
 * `CASCADENCE_INVALID_CRON` naming the expression, the field and the problem.
 */
export function validateCron(expression: unknown): ValidatedCron {
  if (typeof expression === 'string') {
    const known = validated.get(expression);
    if (known !== undefined) return known;
  }
  const result = Object.freeze(validateUncached(expression));
  if (validated.size >= 10_000) validated.clear();
  validated.set(expression as string, result);
  return result;
}

/** Expressions already validated (most files repeat a few expressions many times). */
const validated = new Map<string, ValidatedCron>();

function validateUncached(expression: unknown): ValidatedCron {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw cronError(expression, 'expected a non-empty string such as "0 12 * * *"');
  }
  const trimmed = expression.trim();
  const control = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/.exec(expression);
  if (control !== null) {
    const before = expression.slice(0, control.index).trim();
    const count = before === '' ? 0 : before.split(/\s+/).length;
    const name = JSON.stringify(control[0]).slice(1, -1);
    const where = count === 0 ? 'before the first field' : `after field ${count}`;
    throw cronError(
      trimmed,
      `contains a line break or control character (${name}) ${where}; an expression is one line of fields separated by spaces`,
      {
        field: count === 0 ? undefined : count,
        position: control.index,
      },
    );
  }
  let fields: string[];
  if (trimmed.startsWith('@')) {
    const macro = CRON_MACROS[trimmed.toLowerCase()];
    if (macro === undefined) {
      if (trimmed.toLowerCase() === '@reboot') {
        throw cronError(trimmed, '@reboot is not supported (a scheduler has no boot); run the task at start-up instead');
      }
      const { hint, suggestions } = didYouMean(trimmed, Object.keys(CRON_MACROS));
      throw cronError(trimmed, `unknown macro${hint}; known macros: ${Object.keys(CRON_MACROS).join(', ')}`, {}, suggestions);
    }
    fields = macro.split(' ');
  } else {
    fields = trimmed.split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) {
      throw cronError(
        trimmed,
        `has ${fields.length} field${fields.length === 1 ? '' : 's'}; expected 5 (minute hour day-of-month month day-of-week) or 6 (second minute hour day-of-month month day-of-week)`,
        { fieldCount: fields.length },
      );
    }
  }
  const hasSeconds = fields.length === 6;
  const six = hasSeconds ? fields : ['0', ...fields];
  checkSteps(trimmed, six, hasSeconds);
  const normalized = six.join(' ');
  try {
    const parsed = CronExpressionParser.parse(normalized, { tz: 'UTC', currentDate: VALIDATION_DATE });
    parsed.next();
  } catch (error) {
    throw explain(trimmed, six, hasSeconds, error);
  }
  return { expression: trimmed, normalized, hasSeconds };
}

const FIELD_LIMITS: ReadonlyArray<readonly [number, number]> = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

/**
 * A step larger than the range it walks (`*\/60` in seconds, `0-23/25`) matches only the range's
 * start: almost certainly not what was meant, so it is refused naming the field.
 */
function checkSteps(expression: string, six: string[], hasSeconds: boolean): void {
  for (let i = 0; i < 6; i++) {
    const value = six[i] as string;
    const [min, max] = FIELD_LIMITS[i] as readonly [number, number];
    for (const part of value.split(',')) {
      const match = /^(\*|\d+(?:-(\d+))?)\/(\d+)$/.exec(part);
      if (match === null) continue;
      const step = Number(match[3]);
      let lo = min;
      let hi = max;
      if (match[1] !== '*') {
        lo = Number.parseInt(match[1] as string, 10);
        hi = match[2] === undefined ? max : Number(match[2]);
      }
      if (step > 0 && hi >= lo && step > hi - lo) {
        const name = FIELD_NAMES[i] as string;
        throw cronError(
          expression,
          `${name} field ${shown(value)} has a step of ${step}, larger than the range ${lo}-${hi} it steps through (it would only ever match ${lo}); use ${lo} or a smaller step`,
          { field: name, position: hasSeconds ? i + 1 : i, value },
        );
      }
    }
  }
}

/** Finds which field is wrong by parsing each one alone, and words the parser's complaint. */
function explain(expression: string, six: string[], hasSeconds: boolean, error: unknown): CascadenceError {
  const raw = error instanceof Error ? error.message : String(error);
  for (let i = 0; i < 6; i++) {
    const probe = six.map((value, j) => (j === i ? value : j === 0 ? '0' : '*'));
    try {
      CronExpressionParser.parse(probe.join(' '), { tz: 'UTC', currentDate: VALIDATION_DATE }).next();
    } catch (fieldError) {
      const name = FIELD_NAMES[i] as string;
      const value = six[i] as string;
      const message = fieldError instanceof Error ? fieldError.message : String(fieldError);
      const range = /expected range (\d+)-(\d+)/.exec(message);
      const problem = range
        ? `${name} field ${shown(value)} is out of range (${FIELD_RANGES[i]})`
        : `${name} field ${shown(value)} is invalid (${tidy(message)}; allowed: ${FIELD_RANGES[i]})`;
      return cronError(expression, problem, { field: name, position: hasSeconds ? i + 1 : i, value, cause: message });
    }
  }
  return cronError(expression, tidy(raw), { cause: raw });
}

function tidy(message: string): string {
  const text = message
    .replace(/^(Constraint|Validation) error, /, '')
    .replace(/^Invalid expression, /, '')
    .replace(/\.$/, '');
  if (/day of month/i.test(text)) return 'that day never occurs in the given month(s)';
  if (/loop limit exceeded/i.test(text)) return 'it never matches a real date';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

let knownZones: string[] | undefined;

/** Checks an IANA time zone name (`Europe/Berlin`, `UTC`); throws `CASCADENCE_INVALID_TIMEZONE`. */
export function validateTimeZone(timezone: unknown): string {
  if (typeof timezone !== 'string' || timezone.trim() === '') {
    throw new CascadenceError(
      ScheduleErrorCode.INVALID_TIMEZONE,
      `invalid time zone ${JSON.stringify(timezone)}: expected an IANA name such as "Europe/Berlin" or "UTC"`,
      {
        details: { timezone },
      },
    );
  }
  try {
    formatterFor(timezone);
    return timezone;
  } catch {
    knownZones ??= [...Intl.supportedValuesOf('timeZone'), 'UTC'];
    const { hint, suggestions } = didYouMean(timezone, knownZones);
    throw new CascadenceError(
      ScheduleErrorCode.INVALID_TIMEZONE,
      `unknown time zone "${timezone}"${hint}: expected an IANA name such as "Europe/Berlin" or "UTC"`,
      { details: { timezone }, suggestions },
    );
  }
}

/** UTC offset of `timezone` at instant `at`, in minutes. */
export function timeZoneOffsetMinutes(timezone: string, at: number): number {
  const parts = formatterFor(timezone).formatToParts(at);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((local - Math.floor(at / 1000) * 1000) / 60_000);
}

/**
 * A cron expression bound to a time zone, answering "when is the next fire after t?" with the
 * DST rules of `next-fire.ts`: a wall-clock time skipped by a forward shift fires once, shifted;
 * one that occurs twice fires once (at its first occurrence) unless the hour field is `*`; the
 * answer depends only on t, so it is the same whether the scheduler ran through a change or
 * (re)started in the middle of it. It never gives up in a zone with odd transitions (such as
 * Australia/Lord_Howe's 30-minute shift).
 */
export class CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  readonly normalized: string;
  readonly hasSeconds: boolean;
  /** True when the hour field is `*`: repeated wall times (fall back) fire at both occurrences. */
  readonly interval: boolean;
  private readonly wall: WallClockCron;
  private readonly offsets: ZoneOffsets;
  private memoAfter = Number.NaN;
  private memoNext = Number.NaN;

  constructor(expression: string, timezone = 'UTC') {
    const valid = validateCron(expression);
    this.expression = valid.expression;
    this.normalized = valid.normalized;
    this.hasSeconds = valid.hasSeconds;
    this.timezone = validateTimeZone(timezone);
    this.wall = wallClockCron(this.normalized);
    this.interval = this.wall.everyHour;
    this.offsets = zoneOffsets(this.timezone);
  }

  /** Epoch ms of the first fire strictly after `after`, or NaN when there is none. */
  nextAfter(after: number): number {
    if (after === this.memoAfter) return this.memoNext;
    let next: number;
    try {
      next = nextFireAfter(this.wall, this.offsets, after);
    } catch {
      next = Number.NaN; // e.g. an instant beyond what Intl can format: reported as "no next fire"
    }
    this.memoAfter = after;
    this.memoNext = next;
    return next;
  }

  /** The next fire after `after` (default: now) as a Date, or null when there is none. */
  next(after: Date | number = Date.now()): Date | null {
    const next = this.nextAfter(typeof after === 'number' ? after : after.getTime());
    return Number.isNaN(next) ? null : new Date(next);
  }

  /** The next `count` fires after `after` (default: now). */
  nextRuns(count: number, after: Date | number = Date.now()): Date[] {
    const out: Date[] = [];
    let at = typeof after === 'number' ? after : after.getTime();
    for (let i = 0; i < count; i++) {
      at = this.nextAfter(at);
      if (Number.isNaN(at)) break;
      out.push(new Date(at));
    }
    return out;
  }
}

const wallClocks = new Map<string, WallClockCron>();

/** Parsed fields are immutable: one per distinct normalized expression. */
function wallClockCron(normalized: string): WallClockCron {
  let found = wallClocks.get(normalized);
  if (found === undefined) {
    if (wallClocks.size >= 10_000) wallClocks.clear();
    found = new WallClockCron(normalized);
    wallClocks.set(normalized, found);
  }
  return found;
}

/**
 * Parses and validates `expression` in `timezone` (default UTC) and returns a `CronSchedule`
 * whose `next()` / `nextRuns()` give DST-correct fire times.
 */
export function parseCronExpression(expression: string, timezone = 'UTC'): CronSchedule {
  return new CronSchedule(expression, timezone);
}
