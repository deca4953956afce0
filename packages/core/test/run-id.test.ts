import { Engine } from '../src/engine';
import { silentLogger } from '../src/logger';
import { newRunId, shortRunId } from '../src/run-id';
import { defineTask } from '../src/task';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The unix ms timestamp of a UUIDv7 (its first 48 bits). */
const timeOf = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('run ids', () => {
  it('are UUIDv7: version 7, RFC 9562 variant, the current unix ms time first', () => {
    const before = Date.now();
    const id = newRunId();
    const after = Date.now();
    expect(id).toMatch(UUID_V7);
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(after + 1);
  });

  it('increase strictly within a process, also many in one millisecond (string order = creation order)', () => {
    const ids = Array.from({ length: 20_000 }, () => newRunId());
    expect(ids.filter((id, i) => i > 0 && !(id > ids[i - 1]!))).toEqual([]);
    expect(ids.filter((id) => !UUID_V7.test(id))).toEqual([]);
  });

  it('stay increasing when the clock steps back', () => {
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(4_102_444_800_000); // 2100-01-01: later than any id made so far
      const first = newRunId();
      now.mockReturnValue(4_102_444_800_000 - 60_000);
      const second = newRunId();
      expect(second > first).toBe(true);
      expect(timeOf(second)).toBe(4_102_444_800_000);
    } finally {
      now.mockRestore();
    }
  });

  it('move the timestamp on when 4,096 ids share one millisecond', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(4_102_444_900_000);
    try {
      const ids = Array.from({ length: 4_200 }, () => newRunId());
      expect(ids.filter((id, i) => i > 0 && !(id > ids[i - 1]!))).toEqual([]);
      expect(timeOf(ids[0]!)).toBe(4_102_444_900_000);
      expect(timeOf(ids[ids.length - 1]!)).toBe(4_102_444_900_001);
    } finally {
      now.mockRestore();
    }
  });

  it('are what the engine gives a run that was not given one', async () => {
    const engine = new Engine({ logger: silentLogger });
    const task = defineTask({ name: 't', run: (ctx) => ctx.runId });
    const result = await engine.run(task);
    expect(result.runId).toMatch(UUID_V7);
    expect(result.output).toBe(result.runId);
    expect((await engine.run(task, undefined, { runId: 'mine' })).runId).toBe('mine');
  });

  it('are shown short by their last characters: the first ones are the same for a minute of runs', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(4_102_445_007_848); // 1 s into a 65.5 s block of the first 8 hex chars;
    let a: string, b: string;
    try {
      a = newRunId();
      now.mockReturnValue(4_102_445_007_848 + 30_000);
      b = newRunId();
    } finally {
      now.mockRestore();
    }
    expect(a.slice(0, 8)).toBe(b.slice(0, 8)); // why the start would not do
    expect(shortRunId(a)).toBe(a.slice(-8));
    expect(shortRunId(a)).not.toBe(shortRunId(b));
    expect(shortRunId('abc')).toBe('abc');
  });
});
