// The recorder writes a full batch (MAX_DIRTY_RUNS runs dirty) right after the current macrotask,
// not inside the run event that filled it: a scheduler's dispatch slice starts thousands of runs
// and their rows are then written once, final. Back-to-back runs resolved in microtasks never let a
// timer or an immediate fire, so at MAX_DIRTY_RUNS_NOW the batch is written at once (memory stays
// bounded). Timers (and setImmediate) are fake: nothing here depends on timing.
import { defineFlow, Engine, EventBus, silentLogger } from '@cascadence/core';
import type { SqlDriver, Statement } from '../src/driver';
import { MAX_DIRTY_RUNS, MAX_DIRTY_RUNS_NOW, Recorder } from '../src/recorder';

const FLUSH_INTERVAL_MS = 50;

/** A store that only remembers the batches it was asked to write. */
function fakeDriver(): SqlDriver & { batches: Statement[][] } {
  const batches: Statement[][] = [];
  return {
    dialect: 'sqlite',
    where: 'memory',
    batches,
    query: async () => [],
    batch: async (statements) => void batches.push([...statements]),
    withMigrationLock: async (fn) => fn(undefined as never),
    close: async () => undefined,
  };
}

function setup() {
  const driver = fakeDriver();
  const recorder = new Recorder(
    driver,
    { id: 'owner', host: 'h', pid: 1, startedAt: 0 },
    {
      maxValueBytes: 1024,
      values: true,
      flushIntervalMs: FLUSH_INTERVAL_MS,
      retryForMs: 10_000,
      logger: silentLogger,
    },
  );
  const events = new EventBus();
  recorder.attach({ name: 'local', events });
  const start = (i: number) =>
    events.emit({
      type: 'run:start',
      runId: `run-${i}`,
      at: 1_000 + i,
      task: 't',
      kind: 'task',
      parentFlow: undefined,
      trigger: undefined,
      input: undefined,
    });
  const end = (i: number) =>
    events.emit({
      type: 'run:end',
      runId: `run-${i}`,
      at: 1_001 + i,
      task: 't',
      kind: 'task',
      parentFlow: undefined,
      status: 'succeeded',
      durationMs: 1,
      error: undefined,
    });
  return { driver, recorder, start, end };
}

describe('recorder batching', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it(`writes a full batch of ${MAX_DIRTY_RUNS} runs after the current macrotask, not inside the run event that filled it`, () => {
    const { driver, start } = setup();
    for (let i = 0; i < MAX_DIRTY_RUNS; i++) start(i);
    expect(driver.batches).toHaveLength(0); // not in the middle of the caller's work (a scheduler slice)
    jest.advanceTimersByTime(0); // the immediate, long before the flush timer
    expect(driver.batches).toHaveLength(1);
    expect(driver.batches[0]).toHaveLength(MAX_DIRTY_RUNS);
  });

  it('runs started and ended in one dispatch are each written once, as an insert of the final row', () => {
    const { driver, start, end } = setup();
    // A scheduler slice: many runs start, then (microtasks after the slice) end.
    for (let i = 0; i < MAX_DIRTY_RUNS + 10; i++) start(i);
    for (let i = 0; i < MAX_DIRTY_RUNS + 10; i++) end(i);
    jest.advanceTimersByTime(FLUSH_INTERVAL_MS);
    const statements = driver.batches.flat();
    expect(statements).toHaveLength(MAX_DIRTY_RUNS + 10);
    expect(statements.every((s) => s.sql.trimStart().startsWith('INSERT INTO cascadence_runs'))).toBe(true);
    expect(statements.every((s) => s.params.includes('succeeded'))).toBe(true);
  });

  it(`writes at once, inside the event, when ${MAX_DIRTY_RUNS_NOW} runs changed (back-to-back runs never let an immediate run)`, () => {
    const { driver, start } = setup();
    for (let i = 0; i < MAX_DIRTY_RUNS_NOW - 1; i++) start(i);
    expect(driver.batches).toHaveLength(0);
    start(MAX_DIRTY_RUNS_NOW - 1);
    // Written during the emit of the run that made the batch full: no timer or immediate ran.
    expect(driver.batches).toHaveLength(1);
    expect(driver.batches[0]).toHaveLength(MAX_DIRTY_RUNS_NOW);
    expect(driver.batches[0]!.every((s) => s.sql.trimStart().startsWith('INSERT INTO cascadence_runs'))).toBe(true);
  });

  it('below the limit, writes when the flush timer fires, not before', async () => {
    const { driver, recorder, start } = setup();
    for (let i = 0; i < 10; i++) start(i);
    jest.advanceTimersByTime(FLUSH_INTERVAL_MS - 1);
    expect(driver.batches).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(driver.batches).toHaveLength(1);
    expect(driver.batches[0]).toHaveLength(10);
    await recorder.flush();
  });

  it("a small running flow's step progress is written with the next flush, not held for a second (live readers see a step end at once)", async () => {
    const { driver, recorder } = setup();
    const engine = new Engine({ logger: silentLogger });
    recorder.attach({ name: 'local', events: engine.events });
    const gates: Array<() => void> = [];
    const gated = () => new Promise<string>((resolve) => gates.push(() => resolve('ok')));
    const flow = defineFlow({
      name: 'three',
      steps: { a: { run: gated }, b: { needs: ['a'], run: gated }, c: { needs: ['b'], run: gated } },
    });
    const result = engine.run(flow);
    const settle = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    await settle();
    jest.advanceTimersByTime(FLUSH_INTERVAL_MS);
    await settle();
    const afterStart = driver.batches.length;
    expect(afterStart).toBeGreaterThanOrEqual(1); // the run row (inserted with its first step)

    gates[0]!(); // step a ends, b starts: only the steps document changed
    await settle();
    jest.advanceTimersByTime(FLUSH_INTERVAL_MS);
    await settle();
    expect(driver.batches.length).toBe(afterStart + 1);
    const update = driver.batches[afterStart]!.find((st) => st.sql.includes('UPDATE cascadence_runs'));
    const doc = (update?.params ?? []).find((v): v is string => typeof v === 'string' && v.startsWith('{"v"'));
    expect(JSON.parse(doc as string).steps.map((row: unknown[]) => row.slice(0, 2))).toEqual([
      ['a', 'succeeded'],
      ['b', 'running'],
    ]);

    gates[1]!();
    await settle();
    gates[2]!();
    await result;
    await recorder.flush(true);
  });
});
