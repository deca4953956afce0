/** Step results as tables (summary-codec.ts): the form of large summaries and of a partition's carried state. */
import { compactSummary, plainSummary } from '../src/summary-codec';
import { jsonSize, type RunSummary } from '../src/wire';

describe('compact summaries', () => {
  const summary: RunSummary = {
    runId: 'r',
    task: 'f',
    status: 'failed',
    error: { name: 'Error', message: 'boom' },
    startedAt: 1_700_000_000_000,
    durationMs: 50,
    steps: {
      a: { status: 'succeeded', attempts: 1, output: { x: [1, null] }, startedAt: 1_700_000_000_001, durationMs: 3 },
      b: { status: 'succeeded', attempts: 2, output: undefined, startedAt: 1_700_000_000_002, durationMs: 0 },
      c: { status: 'succeeded', attempts: 1, output: null, startedAt: 1_700_000_000_000, durationMs: 4 },
      d: { status: 'failed', attempts: 3, error: { name: 'Error', message: 'no', code: 'E' }, startedAt: 1_700_000_000_010, durationMs: 7 },
      e: { status: 'skipped', attempts: 0, skipReason: 'upstream-failed' },
      f: { status: 'skipped', attempts: 1, skipReason: 'self', skipMessage: 'not today', startedAt: 1_700_000_000_011, durationMs: 1 },
      g: { status: 'pending', attempts: 0 },
      h: { status: 'running', attempts: 1, startedAt: 1_700_000_000_020 },
      i: { status: 'cancelled', attempts: 0, error: { name: 'CancelledError', message: 'c' } },
      m: {
        status: 'succeeded',
        attempts: 1,
        output: [1, null],
        items: [
          { status: 'succeeded', attempts: 1, output: 1 },
          { status: 'skipped', attempts: 1, skipMessage: 'x' },
        ],
      },
    },
  };

  it('round-trips every status, output (undefined and null kept apart), error, skip, time and map items through JSON', () => {
    const compact = JSON.parse(JSON.stringify(compactSummary(summary))) as ReturnType<typeof compactSummary>;
    const expected = JSON.parse(JSON.stringify(summary)) as RunSummary;
    const back = plainSummary(compact);
    expect(JSON.parse(JSON.stringify(back))).toEqual(expected);
    expect('output' in back.steps.b!).toBe(true);
    expect(back.steps.b!.output).toBeUndefined();
    expect(back.steps.c!.output).toBeNull();
    expect(plainSummary(summary)).toBe(summary);
  });

  it('costs far less per step than the plain summary for a large run (20,000 steps)', () => {
    const big: RunSummary = { runId: 'r', task: 'w', status: 'succeeded', startedAt: 1_700_000_000_000, durationMs: 1, steps: {} };
    for (let i = 0; i < 20_000; i++) {
      big.steps[`s${i}`] = { status: 'succeeded', attempts: 1, output: 1000 + i, startedAt: 1_700_000_000_000 + i * 3, durationMs: 12 };
    }
    const plain = jsonSize(big);
    const compact = jsonSize(compactSummary(big));
    expect(plain / 20_000).toBeGreaterThan(90);
    expect(compact / 20_000).toBeLessThan(12);
    expect(plainSummary(JSON.parse(JSON.stringify(compactSummary(big))))).toEqual(big);
  });
});
