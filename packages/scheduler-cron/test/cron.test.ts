import {
  CronSchedule,
  parseCronExpression,
  parseDuration,
  ScheduleErrorCode,
  timeZoneOffsetMinutes,
  validateCron,
  validateTimeZone,
} from '../src';
import { thrown } from './helpers';

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

describe('validateCron refuses what would silently mean something else (issue 14, item 8)', () => {
  it('a step larger than the range it walks, naming the field', () => {
    const seconds = thrown(() => validateCron('*/60 * * * * *'));
    expect(seconds.message).toBe(
      'invalid cron expression "*/60 * * * * *": second field "*/60" has a step of 60, larger than the range 0-59 it steps through (it would only ever match 0); use 0 or a smaller step',
    );
    expect(seconds.details).toMatchObject({ field: 'second', value: '*/60' });
    expect(thrown(() => validateCron('0 0-23/25 * * *')).message).toContain(
      'hour field "0-23/25" has a step of 25, larger than the range 0-23',
    );
    expect(thrown(() => validateCron('*/61 * * * *')).details).toMatchObject({ field: 'minute' });
    expect(thrown(() => validateCron('0 0 1-31/40 * *')).details).toMatchObject({ field: 'day-of-month' });
    // Steps within the range stay valid.
    expect(validateCron('*/59 * * * *').normalized).toBe('0 */59 * * * *');
    expect(validateCron('0 0-23/23 * * *').expression).toBe('0 0-23/23 * * *');
  });

  it('a line break or control character anywhere in the expression', () => {
    expect(thrown(() => validateCron('0 12\n* * *')).message).toBe(
      'invalid cron expression "0 12\\n* * *": contains a line break or control character (\\n) after field 2; an expression is one line of fields separated by spaces',
    );
    expect(thrown(() => validateCron('0 12 * * *\n')).code).toBe(ScheduleErrorCode.INVALID_CRON);
    expect(thrown(() => validateCron('0 12 * * *\r\nrm -rf /')).code).toBe(ScheduleErrorCode.INVALID_CRON);
    expect(thrown(() => validateCron('\u20280 12 * * *')).message).toContain('before the first field');
    expect(validateCron('0\t12 * * *').normalized).toBe('0 0 12 * * *');
  });

  it('a huge expression is shortened in the message, not echoed twice in full', () => {
    const huge = `0 0 * * ${'1,'.repeat(300_000)}x`;
    const error = thrown(() => validateCron(huge));
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).toContain(`(${huge.length} chars)`);
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

describe('Australia/Lord_Howe: 30-minute DST shift (issue 14, item 9)', () => {
  const LH = 'Australia/Lord_Howe';
  it('April (02:00 LHDT -> 01:30 LHST): hourly and daily jobs keep firing; restarts anywhere agree', () => {
    const hourly = fires('0 * * * *', LH, '2025-04-05T12:30:00Z', '2025-04-05T17:00:00Z');
    expect(hourly).toEqual([
      '2025-04-05T13:00:00.000Z', // 00:00 LHDT
      '2025-04-05T14:00:00.000Z', // 01:00 LHDT
      '2025-04-05T15:30:00.000Z', // 02:00 LHST (01:30-02:00 repeated; no :00 in it)
      '2025-04-05T16:30:00.000Z', // 03:00 LHST
    ]);
    expect(fires('0 2 * * *', LH, '2025-04-04T00:00:00Z', '2025-04-07T00:00:00Z')).toEqual([
      '2025-04-04T15:00:00.000Z',
      '2025-04-05T15:30:00.000Z',
      '2025-04-06T15:30:00.000Z',
    ]);
    expect(fires('45 1 * * *', LH, '2025-04-05T12:00:00Z', '2025-04-06T18:00:00Z')).toEqual([
      '2025-04-05T14:45:00.000Z', // 01:45 LHDT; the repeated 01:45 LHST does not fire
      '2025-04-06T15:15:00.000Z',
    ]);
    for (const expr of ['0 * * * *', '0 2 * * *', '*/30 * * * *']) {
      const ran = fires(expr, LH, '2025-04-05T10:00:00Z', '2025-04-07T00:00:00Z').map((d) => Date.parse(d));
      for (let t = Date.parse('2025-04-05T12:00:00Z'); t < Date.parse('2025-04-05T19:00:00Z'); t += 60_000) {
        const restarted = new CronSchedule(expr, LH).nextAfter(t);
        expect([expr, new Date(t).toISOString(), new Date(restarted).toISOString()]).toEqual([
          expr,
          new Date(t).toISOString(),
          new Date(ran.find((f) => f > t) as number).toISOString(),
        ]);
      }
    }
  });

  it('October (02:00 LHST -> 02:30 LHDT): 0 2 fires once, shifted to 02:30; 30 2 fires at 02:30, ran through or restarted', () => {
    expect(fires('0 2 * * *', LH, '2025-10-03T12:00:00Z', '2025-10-06T00:00:00Z')).toEqual([
      '2025-10-03T15:30:00.000Z', // 02:00 LHST
      '2025-10-04T15:30:00.000Z', // 02:00 does not exist: 02:30 LHDT
      '2025-10-05T15:00:00.000Z', // 02:00 LHDT
    ]);
    expect(fires('30 2 * * *', LH, '2025-10-03T12:00:00Z', '2025-10-06T00:00:00Z')).toEqual([
      '2025-10-03T16:00:00.000Z',
      '2025-10-04T15:30:00.000Z', // 02:30 LHDT, not 03:30
      '2025-10-05T15:30:00.000Z',
    ]);
    for (const restart of ['2025-10-04T15:00:00Z', '2025-10-04T15:29:00Z', '2025-10-04T15:29:59Z']) {
      expect(new Date(new CronSchedule('30 2 * * *', LH).nextAfter(Date.parse(restart))).toISOString()).toBe('2025-10-04T15:30:00.000Z');
      expect(new Date(new CronSchedule('0 2 * * *', LH).nextAfter(Date.parse(restart))).toISOString()).toBe('2025-10-04T15:30:00.000Z');
    }
  });
});

describe('wall-clock matcher agrees with cron-parser (UTC, no DST)', () => {
  it('for random expressions and instants', () => {
    const { CronExpressionParser } = require('cron-parser') as typeof import('cron-parser');
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = (options: string[]): string => options[random(options.length)] as string;
    for (let i = 0; i < 250; i++) {
      const expr = [
        pick(['0', '*/15', '5,35', '*']),
        pick(['0', '*/7', '10-20', '*', '59']),
        pick(['*', '0', '2', '*/5', '9-17']),
        pick(['*', '1', '15', 'L', '29', '31', '1,15']),
        pick(['*', '2', '1-6', '*/3', '12']),
        pick(['*', '1', 'mon-fri', '0,6', '5L', '2#3', '7']),
      ].join(' ');
      const schedule = new CronSchedule(expr, 'UTC');
      const from = Date.UTC(2020, 0, 1) + random(15 * 365) * 86_400_000 + random(86_400) * 1000;
      const reference = CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: from });
      let at = from;
      for (let k = 0; k < 5; k++) {
        const want = reference.next().getTime();
        at = schedule.nextAfter(at);
        expect([expr, new Date(at).toISOString()]).toEqual([expr, new Date(want).toISOString()]);
      }
    }
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
