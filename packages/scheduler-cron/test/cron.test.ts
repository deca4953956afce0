import { CascadenceError } from '@cascadence/core';
import { CronSchedule, parseCronExpression, parseDuration, ScheduleErrorCode, timeZoneOffsetMinutes, validateCron, validateTimeZone } from '../src';

function fires(expr: string, tz: string, from: string, to: string): string[] {
  const schedule = new CronSchedule(expr, tz);
  const out: string[] = [];
  let at = Date.parse(from);
  const end = Date.parse(to);
  for (;;) {
    at = schedule.nextAfter(at);
    if (Number.isNaN(at) || at > end) return out;
    out.push(new Date(at).toISOString());
  }
}

function thrown(fn: () => unknown): CascadenceError {
  try {
    fn();
  } catch (error) {
    if (CascadenceError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('validateCron', () => {
  it('accepts 5 fields, 6 fields (seconds first) and macros', () => {
    expect(validateCron('0 12 * * *')).toEqual({ expression: '0 12 * * *', normalized: '0 0 12 * * *', hasSeconds: false });
    expect(validateCron(' */15 * * * * * ')).toEqual({ expression: '*/15 * * * * *', normalized: '*/15 * * * * *', hasSeconds: true });
    expect(validateCron('@daily').normalized).toBe('0 0 0 * * *');
    expect(validateCron('@YEARLY').normalized).toBe('0 0 0 1 1 *');
    expect(validateCron('30 2 * * mon-fri').hasSeconds).toBe(false);
  });

  it('names the expression and the field that is out of range', () => {
    const minute = thrown(() => validateCron('61 * * * *'));
    expect(minute.code).toBe(ScheduleErrorCode.INVALID_CRON);
    expect(minute.message).toBe('invalid cron expression "61 * * * *": minute field "61" is out of range (0-59)');
    expect(minute.details).toMatchObject({ field: 'minute', value: '61' });
    expect(thrown(() => validateCron('0 25 * * *')).message).toContain('hour field "25" is out of range (0-23)');
    expect(thrown(() => validateCron('0 0 0 32 * *')).message).toContain('day-of-month field "32" is out of range (1-31)');
    expect(thrown(() => validateCron('99 * * * * *')).message).toContain('second field "99" is out of range');
    expect(thrown(() => validateCron('0 0 * 13 *')).message).toContain('month field "13"');
    expect(thrown(() => validateCron('0 0 * * funday')).message).toContain('day-of-week field "funday"');
  });

  it('rejects the wrong number of fields with the count', () => {
    const short = thrown(() => validateCron('* * *'));
    expect(short.message).toMatch(/"\* \* \*": has 3 fields; expected 5 .* or 6/);
    expect(thrown(() => validateCron('* * * * * * *')).message).toContain('has 7 fields');
    expect(thrown(() => validateCron('')).code).toBe(ScheduleErrorCode.INVALID_CRON);
    expect(thrown(() => validateCron(42 as unknown as string)).code).toBe(ScheduleErrorCode.INVALID_CRON);
  });

  it('rejects unknown macros with a suggestion, and impossible dates', () => {
    const macro = thrown(() => validateCron('@dayly'));
    expect(macro.message).toContain('did you mean "@daily"');
    expect(macro.suggestions).toContain('@daily');
    expect(thrown(() => validateCron('@reboot')).message).toContain('@reboot is not supported');
    expect(thrown(() => validateCron('0 0 30 2 *')).message).toContain('never occurs');
  });
});

describe('validateTimeZone', () => {
  it('accepts IANA zones and rejects unknown ones clearly', () => {
    expect(validateTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(validateTimeZone('UTC')).toBe('UTC');
    const bad = thrown(() => validateTimeZone('Europe/Berln'));
    expect(bad.code).toBe(ScheduleErrorCode.INVALID_TIMEZONE);
    expect(bad.message).toContain('unknown time zone "Europe/Berln"');
    expect(bad.message).toContain('did you mean "Europe/Berlin"');
    expect(thrown(() => new CronSchedule('* * * * *', 'Mars/Olympus')).code).toBe(ScheduleErrorCode.INVALID_TIMEZONE);
  });

  it('computes offsets', () => {
    expect(timeZoneOffsetMinutes('Europe/Berlin', Date.parse('2025-01-15T12:00:00Z'))).toBe(60);
    expect(timeZoneOffsetMinutes('Europe/Berlin', Date.parse('2025-07-15T12:00:00Z'))).toBe(120);
    expect(timeZoneOffsetMinutes('America/New_York', Date.parse('2025-07-15T12:00:00Z'))).toBe(-240);
  });
});

describe('CronSchedule across DST', () => {
  it('Europe/Berlin spring forward: a 02:30 job fires once, at 03:30 local', () => {
    expect(fires('30 2 * * *', 'Europe/Berlin', '2025-03-29T00:00:00Z', '2025-03-31T23:59:59Z')).toEqual([
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:30:00.000Z', // 02:30 does not exist: 03:30 CEST
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('Europe/Berlin fall back: a 02:30 job fires once', () => {
    expect(fires('30 2 * * *', 'Europe/Berlin', '2025-10-25T00:00:00Z', '2025-10-27T23:59:59Z')).toEqual([
      '2025-10-25T00:30:00.000Z',
      '2025-10-26T00:30:00.000Z', // first 02:30 (CEST); the repeated 02:30 CET does not fire
      '2025-10-27T01:30:00.000Z',
    ]);
  });

  it('America/New_York: a 01:30 job fires once on fall-back day, a 02:30 job once on spring-forward day', () => {
    expect(fires('30 1 * * *', 'America/New_York', '2025-11-01T00:00:00Z', '2025-11-03T23:59:59Z')).toEqual([
      '2025-11-01T05:30:00.000Z',
      '2025-11-02T05:30:00.000Z',
      '2025-11-03T06:30:00.000Z',
    ]);
    expect(fires('30 2 * * *', 'America/New_York', '2025-03-08T00:00:00Z', '2025-03-10T23:59:59Z')).toEqual([
      '2025-03-08T07:30:00.000Z',
      '2025-03-09T07:30:00.000Z', // 02:30 does not exist: 03:30 EDT
      '2025-03-10T06:30:00.000Z',
    ]);
  });

  it('gives the same answer when asked from inside the repeated hour (a restart at 01:00 EST)', () => {
    const schedule = new CronSchedule('30 1 * * *', 'America/New_York');
    // 06:00Z is 01:00 EST, after 01:30 EDT already happened: next is tomorrow, not 01:30 EST.
    expect(new Date(schedule.nextAfter(Date.parse('2025-11-02T06:00:00Z'))).toISOString()).toBe('2025-11-03T06:30:00.000Z');
    const berlin = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    expect(new Date(berlin.nextAfter(Date.parse('2025-10-26T01:00:00Z'))).toISOString()).toBe('2025-10-27T01:30:00.000Z');
    // Asked at 03:00 CEST on spring-forward day: the shifted 03:30 is still ahead.
    expect(new Date(berlin.nextAfter(Date.parse('2025-03-30T01:00:00Z'))).toISOString()).toBe('2025-03-30T01:30:00.000Z');
  });

  it('interval jobs keep real elapsed time through the repeated hour', () => {
    expect(fires('0 * * * *', 'America/New_York', '2025-11-02T04:30:00Z', '2025-11-02T07:30:00Z')).toEqual([
      '2025-11-02T05:00:00.000Z', // 01:00 EDT
      '2025-11-02T06:00:00.000Z', // 01:00 EST
      '2025-11-02T07:00:00.000Z', // 02:00 EST
    ]);
  });
});

describe('CronSchedule', () => {
  it('handles yearly schedules and seconds', () => {
    expect(fires('@yearly', 'Europe/Berlin', '2025-03-01T00:00:00Z', '2027-03-01T00:00:00Z')).toEqual([
      '2025-12-31T23:00:00.000Z',
      '2026-12-31T23:00:00.000Z',
    ]);
    expect(fires('*/20 * * * * *', 'UTC', '2025-01-01T00:00:00.500Z', '2025-01-01T00:01:00Z')).toEqual([
      '2025-01-01T00:00:20.000Z',
      '2025-01-01T00:00:40.000Z',
      '2025-01-01T00:01:00.000Z',
    ]);
    expect(fires('0 0 29 2 *', 'UTC', '2025-01-01T00:00:00Z', '2029-01-01T00:00:00Z')).toEqual(['2028-02-29T00:00:00.000Z']);
  });

  it('parseCronExpression gives next and nextRuns', () => {
    const schedule = parseCronExpression('0 12 * * *', 'Europe/Paris');
    expect(schedule.next(Date.parse('2025-06-01T00:00:00Z'))?.toISOString()).toBe('2025-06-01T10:00:00.000Z');
    expect(schedule.nextRuns(2, new Date('2025-06-01T00:00:00Z')).map((d) => d.toISOString())).toEqual([
      '2025-06-01T10:00:00.000Z',
      '2025-06-02T10:00:00.000Z',
    ]);
  });
});

describe('parseDuration', () => {
  it('reads numbers and unit strings', () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(thrown(() => parseDuration('soon', 'catchUp.window')).message).toContain('catchUp.window must be');
  });
});
