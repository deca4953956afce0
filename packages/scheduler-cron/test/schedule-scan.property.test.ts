import fc from 'fast-check';
import { CascadenceError } from '@cascadence/core';
import { parseSchedules } from '../src/schedule-file';
import { planScheduleEdit, removeChange, upsertChange, type PlannedEdit } from '../src/schedule-file-edit';
import { scanSchedules } from '../src/schedule-scan';

// The line scanner is a shortcut for the YAML document: whatever it accepts must read exactly as
// the full parser reads it, and an edit made from its line offsets must give the very text the
// document-based edit gives. Files are generated from lines the scanner takes and lines it must
// refuse (or that the parser reads differently), mixed.

const PATH = '/tmp/schedules.yml';

const goodKey = fc.oneof(
  fc.constantFrom('a', 'job-1', 'job-2', 'nightly.report', '_x', 'a/b', 'Build_2'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
  fc.constantFrom('"a b"', '"x:y"', '"#hash"', '"ünï"', '"it\'s"'),
);
const oddKey = fc.constantFrom(
  'yes',
  'true',
  'Null',
  'on',
  '123',
  "'single'",
  '"a\\tb"',
  '"a\\"b"',
  '? a',
  '- a',
  '&k a',
  '*k',
  '"',
  'a b',
  '<<',
  '~',
  'x'.repeat(1100),
);
const goodValue = fc.constantFrom(
  '"0 12 * * *"',
  '"*/5 * * * * *"',
  '"@daily"',
  '" 0 1 * * * "',
  "'0 12 * * *'",
  "'@hourly'",
  '0 12 * * *',
  '30 2 * * MON-FRI',
  '0 0 1,15 * *',
  '"0 0 * * 5#3"',
);
const oddValue = fc.constantFrom(
  '@daily',
  '"ünicode 0 * * * *"',
  '* * * * *',
  '"99 * * * *"',
  '"nope"',
  '5',
  'yes',
  '"a\\"b"',
  "'it''s 0 * * * *'",
  '{ cron: "0 1 * * *" }',
  '{ cron: "0 1 * * *", timezone: "Europe/Paris" }',
  '',
  '&a "0 1 * * *"',
  '*a',
  '"0 1 * * *" x',
  '"0 1 * * *"# no space',
  '0 1 * * * #3',
  '!!str 0 1 * * *',
  '[1, 2]',
  '"0 1 * * *\t"',
  '0 12 * * *: x',
);
// The one-line long form the CLI writes when a time zone is set, and near misses of it.
const zone = fc.constantFrom('"UTC"', '"Europe/Paris"', "'America/New_York'", '"Asia/Kolkata"');
const longValue = fc
  .tuple(
    goodValue.filter((v) => /^["']/.test(v)),
    zone,
    fc.constantFrom(['{ ', ' }'], ['{', '}'], ['{  ', '  }']),
    fc.constantFrom(', ', ',', ' , '),
  )
  .map(([cron, tz, [open, close], comma]) => `${open}cron: ${cron}${comma}timezone: ${tz}${close}`);
const oddLongValue = fc.constantFrom(
  '{ timezone: "UTC", cron: "0 1 * * *" }',
  '{ cron: "0 1 * * *", timezone: "Mars/Olympus" }',
  '{ cron: "0 1 * * *", timezone: "utc" }',
  '{ cron: "0 1 * * *", timezone: "UTC", paused: true }',
  '{ cron: "0 1 * * *", timezone: UTC }',
  '{ cron: "0 1 * * *", timezone: "UTC" }x',
  '{ cron: "0 1 * * *", timezone: "UTC" }# c',
  '{ cron: "0 1 * * *", timezone: "UTC", }',
  '{ cron: "0 1 * * *",timezone: "UTC" }',
  '{ cron:"0 1 * * *", timezone: "UTC" }',
  '{ cron: "99 * * * *", timezone: "UTC" }',
  '{ cron: "0 1 * * *", cron: "0 2 * * *" }',
  '{ cron: "0 1 * * *", timezone: "UTC"',
  '{ cron: "a\\"b", timezone: "UTC" }',
  '{ "cron": "0 1 * * *", timezone: "UTC" }',
);
const comment = fc.constantFrom('', ' # note', '  #x', ' #', ' # ünï');
const goodLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(goodKey, fc.constantFrom(': ', ':  '), goodValue, comment).map(([k, sep, v, c]) => `${k}${sep}${v}${c}`),
  },
  { weight: 2, arbitrary: fc.tuple(goodKey, longValue, comment).map(([k, v, c]) => `${k}: ${v}${c}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '# comment', '  # indented comment', '#', '# a: "0 1 * * *"') },
);
const oddLine = fc.oneof(
  fc.tuple(oddKey, fc.constant(': '), goodValue).map(([k, sep, v]) => `${k}${sep}${v}`),
  fc.tuple(goodKey, fc.constantFrom(': ', ':\t', ':'), oddValue).map(([k, sep, v]) => `${k}${sep}${v}`),
  fc.tuple(goodKey, oddLongValue).map(([k, v]) => `${k}: ${v}`),
  fc.constantFrom(
    '  cron: "0 1 * * *"',
    '---',
    '...',
    '%YAML 1.2',
    '\t# tab',
    'a:',
    '  timezone: UTC',
    '- "0 1 * * *"',
    '# lone \uDC80 byte',
    'a: "0 1 * * *"\r',
    'a: "0 1 * * *" # tab\there',
    'a: "0 1 * * *"\t# c',
  ),
);
const eol = fc.constantFrom('\n', '\r\n');

function file(lines: fc.Arbitrary<string>): fc.Arbitrary<{ text: string; eol: string }> {
  return fc
    .tuple(fc.array(lines, { maxLength: 12 }), eol, fc.boolean())
    .map(([ls, e, final]) => ({ text: ls.join(e) + (final && ls.length > 0 ? e : ''), eol: e }));
}

const anyFile = file(fc.oneof({ weight: 5, arbitrary: goodLine }, { weight: 1, arbitrary: oddLine }));

function fullRead(text: string): { entries: unknown; problems: string[] } | { error: string } {
  try {
    const { entries, problems } = parseSchedules(text, PATH);
    return { entries, problems: problems.map((p) => p.message) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('schedules line scanner (issue 21)', () => {
  it('reads whatever it accepts exactly as the YAML parser does (entries, positions, no problems)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyFile, ({ text }) => {
        const scanned = scanSchedules(text);
        if (scanned === undefined) return;
        accepted++;
        expect(fullRead(text)).toEqual({ entries: scanned.entries, problems: [] });
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(600); // about 1,270 of 3,000 (the seed is random)
  });

  it('accepts every file made of the common one-line entries, comments and blank lines (unique names)', () => {
    fc.assert(
      fc.property(file(goodLine), ({ text }) => {
        const names = text
          .split(/\r?\n/)
          .map((line) => /^("[^"]*"|[^:\s]+):/.exec(line)?.[1])
          .filter((name) => name !== undefined);
        fc.pre(new Set(names).size === names.length);
        expect(scanSchedules(text)).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  const task = fc.constantFrom('a', 'job-1', 'new-task', 'a b', 'nightly.report', 'yes', "it's");
  const cron = fc.constantFrom('0 12 * * *', '*/5 * * * * *', '@daily', '0 0 * * 5#3');
  const options = fc.constantFrom(
    {},
    {},
    { timezone: 'Europe/Paris' },
    { timezone: 'UTC' },
    { timezone: null },
    { paused: true },
    { overlap: 'skip' as const },
  );
  const change = fc.oneof(
    fc.array(fc.record({ task, cron, options }), { minLength: 1, maxLength: 3 }).map((requests) => ({ kind: 'upsert' as const, requests })),
    task.map((name) => ({ kind: 'remove' as const, name })),
  );

  type Change = { kind: 'upsert'; requests: Array<{ task: string; cron: string; options: object }> } | { kind: 'remove'; name: string };

  function plan(text: string, eolText: string, c: Change, fast: boolean): PlannedEdit | { error: string; code: string } {
    try {
      const { mutate, fast: quick } = c.kind === 'upsert' ? upsertChange(c.requests) : removeChange(PATH, c.name);
      return planScheduleEdit(text, eolText, PATH, mutate, fast ? quick : undefined);
    } catch (error) {
      return { error: (error as Error).message, code: CascadenceError.isInstance(error) ? error.code : 'other' };
    }
  }

  it('an edit from the scanned lines gives the very text (and entries) the YAML-document edit gives', () => {
    let quick = 0;
    fc.assert(
      fc.property(anyFile, change, ({ text, eol: e }, c) => {
        const scanned = scanSchedules(text);
        const { fast } = c.kind === 'upsert' ? upsertChange(c.requests) : removeChange(PATH, c.name);
        if (scanned !== undefined && fast(scanned, text, e) !== undefined) quick++;
        expect(plan(text, e, c, true)).toEqual(plan(text, e, c, false));
      }),
      { numRuns: 2000 },
    );
    // the shortcut was taken often enough for the comparison to mean something
    expect(quick).toBeGreaterThan(100); // ~10 % of runs (about 200; the seed is random)
  });
  it('reads and edits the one-line long form with a time zone without the document (what the CLI writes with a zone set)', () => {
    const text = '# zoned\na: { cron: "0 1 * * *", timezone: "UTC" } # note\nb: "0 2 * * *"\n';
    expect(scanSchedules(text)?.entries).toEqual([
      { task: 'a', cron: '0 1 * * *', timezone: 'UTC', line: 2, column: 1 },
      { task: 'b', cron: '0 2 * * *', line: 3, column: 1 },
    ]);
    const cases: Change[] = [
      { kind: 'upsert', requests: [{ task: 'a', cron: '0 3 * * *', options: {} }] },
      { kind: 'upsert', requests: [{ task: 'a', cron: '0 3 * * *', options: { timezone: 'UTC' } }] },
      { kind: 'upsert', requests: [{ task: 'c', cron: '0 4 * * *', options: { timezone: 'Europe/Paris' } }] },
      { kind: 'remove', name: 'a' },
    ];
    const scanned = scanSchedules(text) as NonNullable<ReturnType<typeof scanSchedules>>;
    for (const c of cases) {
      const { fast } = c.kind === 'upsert' ? upsertChange(c.requests) : removeChange(PATH, c.name);
      expect(fast(scanned, text, '\n')).toBeDefined();
      expect(plan(text, '\n', c, true)).toEqual(plan(text, '\n', c, false));
    }
    expect((plan(text, '\n', cases[0] as Change, true) as PlannedEdit).after).toBe(
      '# zoned\na: { cron: "0 3 * * *", timezone: "UTC" } # note\nb: "0 2 * * *"\n',
    );
  });
});
