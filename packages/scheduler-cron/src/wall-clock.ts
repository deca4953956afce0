import { CronExpressionParser } from 'cron-parser';

/**
 * The fields of a validated cron expression, matched against *wall-clock* times: a timeline
 * without time zones (epoch ms read in UTC stand for a local date and time), so there is no
 * daylight-saving transition to trip over and no iteration limit. Time zones are applied on top
 * of it by `next-fire.ts`.
 *
 * The fields come from cron-parser (names, lists, ranges, steps, `L`, `#`, `H` are expanded by
 * it); matching follows cron-parser's rules, including classic cron's "day-of-month OR
 * day-of-week when both are restricted".
 */
export class WallClockCron {
  private readonly nextSecond: Int8Array;
  private readonly nextMinute: Int8Array;
  private readonly nextHour: Int8Array;
  private readonly months: boolean[];
  private readonly domDays: boolean[];
  private readonly domLast: boolean;
  private readonly domWildcard: boolean;
  private readonly dowDays: boolean[];
  private readonly dowLast: boolean[];
  private readonly dowNth: number;
  private readonly dowWildcard: boolean;
  /** True when the hour field matches every hour (`*`): the expression is an interval. */
  readonly everyHour: boolean;

  /** `normalized`: six fields, seconds first (as `validateCron` returns it). */
  constructor(normalized: string) {
    const fields = CronExpressionParser.parse(normalized, { tz: 'UTC' }).fields;
    const numbers = (values: readonly unknown[]): number[] => values.filter((v): v is number => typeof v === 'number');
    this.nextSecond = nearestTable(numbers(fields.second.values), 60);
    this.nextMinute = nearestTable(numbers(fields.minute.values), 60);
    const hours = numbers(fields.hour.values);
    this.nextHour = nearestTable(hours, 24);
    this.everyHour = new Set(hours).size === 24;
    this.months = flags(numbers(fields.month.values), 13);
    this.domDays = flags(numbers(fields.dayOfMonth.values), 32);
    this.domLast = fields.dayOfMonth.hasLastChar;
    this.domWildcard = fields.dayOfMonth.isWildcard;
    this.dowDays = flags(
      numbers(fields.dayOfWeek.values).map((d) => d % 7),
      7,
    );
    this.dowLast = flags(
      fields.dayOfWeek.values
        .filter((v) => typeof v === 'string' && v.endsWith('L'))
        .map((v) => Number.parseInt(String(v).charAt(0), 10) % 7),
      7,
    );
    this.dowNth = fields.dayOfWeek.nthDay;
    this.dowWildcard = fields.dayOfWeek.isWildcard;
  }

  /** Whether the day `y-m-d` (month 1-12) matches the day-of-month and day-of-week fields. */
  matchesDay(y: number, m: number, d: number): boolean {
    const length = daysInMonth(y, m);
    const dom = this.domDays[d] === true || (this.domLast && d === length);
    const weekday = weekdayOf(y, m, d);
    const dow =
      (this.dowDays[weekday] === true && (this.dowNth <= 0 || Math.ceil(d / 7) === this.dowNth)) ||
      (this.dowLast[weekday] === true && d + 7 > length);
    if (!this.domWildcard && !this.dowWildcard) return dom || dow;
    if (!this.domWildcard) return dom;
    if (!this.dowWildcard) return dow;
    return true;
  }

  /**
   * The first matching wall-clock time strictly after `wall` (whole seconds), or NaN when none
   * comes within `horizonYears`.
   */
  next(wall: number, horizonYears = 30): number {
    const start = new Date(Math.floor(wall / 1000) * 1000 + 1000);
    let y = start.getUTCFullYear();
    let mo = start.getUTCMonth() + 1;
    let d = start.getUTCDate();
    let h = start.getUTCHours();
    let mi = start.getUTCMinutes();
    let s = start.getUTCSeconds();
    const lastYear = y + horizonYears;
    const nextDay = (): void => {
      d++;
      h = 0;
      mi = 0;
      s = 0;
      if (d > daysInMonth(y, mo)) {
        d = 1;
        mo++;
        if (mo > 12) {
          mo = 1;
          y++;
        }
      }
    };
    while (y <= lastYear) {
      if (this.months[mo] !== true) {
        mo++;
        if (mo > 12) {
          mo = 1;
          y++;
        }
        d = 1;
        h = 0;
        mi = 0;
        s = 0;
        continue;
      }
      if (!this.matchesDay(y, mo, d)) {
        nextDay();
        continue;
      }
      const nh = this.nextHour[h] as number;
      if (nh < 0) {
        nextDay();
        continue;
      }
      if (nh !== h) {
        h = nh;
        mi = 0;
        s = 0;
      }
      const nm = this.nextMinute[mi] as number;
      if (nm < 0) {
        h++;
        mi = 0;
        s = 0;
        if (h > 23) nextDay();
        continue;
      }
      if (nm !== mi) {
        mi = nm;
        s = 0;
      }
      const ns = this.nextSecond[s] as number;
      if (ns < 0) {
        mi++;
        s = 0;
        if (mi > 59) {
          mi = 0;
          h++;
          if (h > 23) nextDay();
        }
        continue;
      }
      return Date.UTC(y, mo - 1, d, h, mi, ns);
    }
    return Number.NaN;
  }
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  if (m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) return 29;
  return MONTH_DAYS[m] as number;
}

/** 0 = Sunday (Sakamoto's method). */
function weekdayOf(y: number, m: number, d: number): number {
  const t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
  const yy = m < 3 ? y - 1 : y;
  return (yy + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400) + (t[m - 1] as number) + d) % 7;
}

function flags(values: number[], size: number): boolean[] {
  const out = new Array<boolean>(size).fill(false);
  for (const v of values) if (v >= 0 && v < size) out[v] = true;
  return out;
}

/** table[i] = the smallest value >= i in `values`, or -1. */
function nearestTable(values: number[], size: number): Int8Array {
  const table = new Int8Array(size).fill(-1);
  const set = flags(values, size);
  let next = -1;
  for (let i = size - 1; i >= 0; i--) {
    if (set[i]) next = i;
    table[i] = next;
  }
  return table;
}
