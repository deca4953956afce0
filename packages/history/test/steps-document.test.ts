import { decodeSteps, encodeSteps } from '../src/steps-document';
import type { StoredAttempt, StoredStep } from '../src/store';

const AT = 1_764_633_612_345.1235;

describe('steps document', () => {
  it('reads back every kind of step it writes (times to the µs)', () => {
    const steps: StoredStep[] = [
      {
        step: 'extract',
        status: 'succeeded',
        attempts: 1,
        startedAt: AT + 0.0004,
        durationMs: 3.1234567,
        output: { state: 'ok', json: JSON.stringify({ rows: [1, 'two', null], '"q"': '\u2028 \ud800 é', n: 1e21, f: -0.5 }) },
      },
      {
        step: 'big',
        status: 'succeeded',
        attempts: 1,
        startedAt: AT + 4,
        durationMs: 1,
        output: { state: 'ok', json: '"x"', bytes: 65000 },
      },
      {
        step: 'cut',
        status: 'succeeded',
        attempts: 1,
        startedAt: AT + 5,
        durationMs: 1,
        output: { state: 'truncated', json: '"xx', bytes: 70000 },
      },
      {
        step: 'bigint',
        status: 'succeeded',
        attempts: 1,
        startedAt: AT + 6,
        durationMs: 1,
        output: { state: 'unserializable', reason: 'TypeError: BigInt' },
      },
      {
        step: 'load "db"',
        status: 'failed',
        attempts: 2,
        startedAt: AT + 7,
        durationMs: 2,
        error: { name: 'Error', message: 'down', code: 'E1' },
        output: { state: 'none' },
        tries: [
          { attempt: 1, status: 'retried', startedAt: AT + 7, durationMs: 0.5, error: { name: 'Error', message: 'flaky' } },
          { attempt: 2, status: 'failed', startedAt: AT + 8, durationMs: 1, error: { name: 'Error', message: 'down', code: 'E1' } },
        ],
      },
      { step: 'report', status: 'skipped', attempts: 0, skipReason: 'upstream-failed', output: { state: 'none' } },
      { step: 'reused', status: 'succeeded', attempts: 0, output: { state: 'omitted' }, reused: true },
    ];
    const inner: StoredAttempt[] = [{ flow: 'sub', step: 'x', attempt: 1, status: 'succeeded', startedAt: AT + 9, durationMs: 1 }];
    const text = encodeSteps(steps, inner, AT);
    expect(text.startsWith('{"v":3,')).toBe(true);
    const back = decodeSteps(text);
    expect(back.inner).toEqual(inner);
    expect(back.steps).toHaveLength(steps.length);
    back.steps.forEach((step, i) => {
      const { startedAt, durationMs, ...rest } = steps[i]!;
      const { startedAt: startedBack, durationMs: durationBack, ...restBack } = step;
      expect(restBack).toEqual(rest);
      if (startedAt === undefined) expect(startedBack).toBeUndefined();
      else expect(Math.abs((startedBack as number) - startedAt)).toBeLessThanOrEqual(0.001);
      if (durationMs === undefined) expect(durationBack).toBeUndefined();
      else expect(Math.abs((durationBack as number) - durationMs)).toBeLessThanOrEqual(0.0005);
    });
  });

  it('reads documents written before (schema 2: one object per step) as they are', () => {
    const old = {
      steps: [{ step: 'a', status: 'succeeded', attempts: 1, startedAt: AT, durationMs: 1.5, output: { state: 'ok', json: '1' } }],
    };
    expect(decodeSteps(JSON.stringify(old))).toEqual(old);
  });
});

describe('steps document: skip messages and map items (issue 19)', () => {
  // Whole ms: document times round to the µs.
  const T = 1_764_633_612_345;
  it('reads back a skip message and a map step’s items', () => {
    const steps: StoredStep[] = [
      {
        step: 'check',
        status: 'skipped',
        attempts: 1,
        startedAt: T,
        durationMs: 1,
        skipReason: 'self',
        skipMessage: 'no "news"',
        output: { state: 'none' },
      },
      {
        step: 'each',
        status: 'succeeded',
        attempts: 1,
        startedAt: T + 1,
        durationMs: 2,
        output: { state: 'ok', json: '[1,null]' },
        items: {
          total: 2,
          counts: { succeeded: 1, skipped: 1 },
          list: [
            { index: 0, status: 'succeeded', attempts: 1, output: { state: 'ok', json: '1' } },
            { index: 1, status: 'skipped', attempts: 1, output: { state: 'none' }, skipMessage: 'later' },
          ],
        },
      },
    ];
    expect(decodeSteps(encodeSteps(steps, undefined, T)).steps).toEqual(steps);
  });

  it('reads a document written before they existed (an existing database) with neither', () => {
    const old = `{"v":3,"at":${T},"steps":[["check","skipped",1,0,1,null,{"skipReason":"self"}],["each","succeeded",1,1,2,[[1,2]]]]}`;
    const [check, each] = decodeSteps(old).steps;
    expect(check).toMatchObject({ status: 'skipped', skipReason: 'self' });
    expect(check?.skipMessage).toBeUndefined();
    expect(each).toMatchObject({ status: 'succeeded', output: { state: 'ok', json: '[1,2]' } });
    expect(each?.items).toBeUndefined();
  });
});
