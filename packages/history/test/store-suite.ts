import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CascadenceError, defineFlow, defineTask, Engine, LocalBackend, newRunId, shortRunId, silentLogger } from '@cascadence/core';
import { HistoryErrorCode, openHistory, planRetry, type History, type HistoryOptions } from '../src';

/** Where a test's history lives: a fresh SQLite file or a fresh PostgreSQL database. */
export type FreshStore = () => Promise<HistoryOptions>;

const CHILD = join(__dirname, 'fixtures', 'child-writer.cjs');

/** Runs the child writer (see fixtures/child-writer.ts) with node + swc. */
export function runChild(
  args: string[],
  options: { killAfterStart?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.killAfterStart === true && stdout.includes('started')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const diamond = (failC: { on: boolean }, log: string[] = []) =>
  defineFlow({
    name: 'diamond',
    steps: {
      a: { run: () => (log.push('a'), { n: 1 }) },
      b: { needs: ['a'], run: (ctx) => (log.push('b'), (ctx.results.a as { n: number }).n + 10) },
      c: {
        needs: ['a'],
        retry: { attempts: 2, delayMs: 1 },
        run: () => {
          log.push('c');
          if (failC.on) throw new Error('c broke');
          return 'c-ok';
        },
      },
      d: { needs: ['b', 'c'], run: (ctx) => (log.push('d'), `${ctx.results.b}/${ctx.results.c}`) },
      cleanup: { needs: ['d'], when: 'all-done', run: () => (log.push('cleanup'), 'cleaned') },
    },
  });

/** The same behaviour, whatever the store: run by sqlite.test.ts and postgres.test.ts. */
export function describeHistoryStore(fresh: FreshStore): void {
  let history: History | undefined;
  const open = async (extra: Partial<HistoryOptions> = {}): Promise<History> => {
    history = await openHistory({ ...(await fresh()), logger: silentLogger, ...extra });
    return history;
  };
  afterEach(async () => {
    await history?.close();
    history = undefined;
  });

  it('records a flow run: input, status, steps with attempts and outputs, a failed step, skip reasons', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(new LocalBackend(engine));
    const result = await engine.run(diamond({ on: true }), { day: '2026-12-01' }, { trigger: { kind: 'schedule', schedule: 'nightly' } });
    expect(result.status).toBe('failed');
    await h.flush();

    const [run] = await h.runs();
    expect(run).toMatchObject({
      id: result.runId,
      task: 'diamond',
      kind: 'flow',
      backend: 'local',
      trigger: 'schedule',
      schedule: 'nightly',
      status: 'failed',
      failedStep: 'c',
      pid: process.pid,
      input: { state: 'ok', json: '{"day":"2026-12-01"}' },
    });
    expect(run?.error?.message).toContain('c broke');
    expect(run?.durationMs).toBeGreaterThanOrEqual(0);

    const steps = Object.fromEntries((await h.steps(result.runId)).map((s) => [s.step, s]));
    expect(steps.a).toMatchObject({ status: 'succeeded', attempts: 1, output: { state: 'ok', json: '{"n":1}' }, reused: false });
    expect(steps.c).toMatchObject({ status: 'failed', attempts: 2 });
    expect(steps.c?.error?.message).toContain('c broke');
    expect(steps.d).toMatchObject({ status: 'skipped', skipReason: 'upstream-failed' });
    expect(steps.cleanup).toMatchObject({ status: 'succeeded', output: { state: 'ok', json: '"cleaned"' } });

    const attempts = (await h.attempts(result.runId)).filter((a) => a.step === 'c');
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'retried'],
      [2, 'failed'],
    ]);
    expect(attempts[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('filters runs by task, status, trigger and time, newest first, and finds a run by unique id prefix', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const ok = defineTask({ name: 'ok', run: () => 1 });
    const bad = defineTask({
      name: 'bad',
      run: () => {
        throw new Error('no');
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await engine.run(ok, i, { trigger: { kind: 'cli' } })).runId);
    const failed = await engine.run(bad, undefined, { runId: 'feedface-0000-4000-8000-000000000001' });
    await h.flush();

    expect((await h.runs()).map((r) => r.id)).toEqual([failed.runId, ...ids.reverse()]);
    expect((await h.runs({ task: 'ok', limit: 2 })).map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect((await h.runs({ status: 'failed' })).map((r) => r.id)).toEqual([failed.runId]);
    expect((await h.runs({ trigger: 'cli' })).length).toBe(3);
    expect((await h.runs({ trigger: 'api' })).map((r) => r.task)).toEqual(['bad']);
    expect(await h.runs({ since: Date.now() + 60_000 })).toEqual([]);

    expect((await h.run('feedface')).id).toBe(failed.runId);
    await expect(h.run('feedfacf')).rejects.toMatchObject({ code: HistoryErrorCode.UNKNOWN_RUN });
    const unknown = await h.run('feedface-0000-4000-8000-00000000000x').catch((e: CascadenceError) => e);
    expect((unknown as CascadenceError).suggestions.join()).toContain(failed.runId);
  });

  it('pages with a (startedAt, id) cursor: runs that share a start time are never skipped', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const ok = defineTask({ name: 'ok', run: () => 1 });
    // The clock stands still (only Date and performance are faked): every run starts at the same instant.
    jest.useFakeTimers({
      doNotFake: [
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'setImmediate',
        'clearImmediate',
        'nextTick',
        'queueMicrotask',
      ],
    });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 7; i++) ids.push((await engine.run(ok, i)).runId);
    } finally {
      jest.useRealTimers();
    }
    await h.flush();
    const all = await h.runs({ limit: 100 });
    expect(new Set(all.map((r) => r.startedAt)).size).toBe(1);
    const paged: string[] = [];
    let page = await h.runs({ limit: 3 });
    while (page.length > 0) {
      paged.push(...page.map((r) => r.id));
      const last = page[page.length - 1]!;
      page = await h.runs({ limit: 3, before: last.startedAt, beforeId: last.id });
    }
    expect(paged).toEqual(all.map((r) => r.id));
    expect([...paged].sort()).toEqual([...ids].sort());
    // Filtered (interrupted vs running is decided after the read, paging inside): the same cursor.
    expect((await h.runs({ status: 'succeeded', limit: 2, before: all[1]!.startedAt, beforeId: all[1]!.id })).map((r) => r.id)).toEqual([
      all[2]!.id,
      all[3]!.id,
    ]);
  });

  it('cancels a run across processes: a request in the store reaches the History recording it, which cancels it through its engine', async () => {
    const options = await fresh();
    const h = await openHistory({ ...options, logger: silentLogger });
    history = h;
    const engine = new Engine({ logger: silentLogger });
    h.record(engine);
    let started!: () => void;
    const going = new Promise<void>((resolve) => (started = resolve));
    const waits = defineTask({
      name: 'waits',
      run: (ctx) => new Promise((resolve) => (started(), ctx.signal.addEventListener('abort', () => resolve('stopped')))),
    });
    const result = engine.run(waits);
    await going;
    await h.flush();
    const [running] = await h.runs();
    expect(running).toMatchObject({ task: 'waits', status: 'running' });

    // Another History on the same store (as `task cancel` or the dashboard would open it).
    const other = await openHistory({ ...options, logger: silentLogger });
    try {
      const asked = await other.requestCancel(running!.id.slice(-8), 'stopped from elsewhere');
      expect(asked.id).toBe(running!.id);
      expect(await h.pollCancelRequests()).toBe(1);
      const final = await result;
      expect(final.status).toBe('cancelled');
      expect(final.error?.message).toContain('stopped from elsewhere');
      await h.flush();
      expect((await other.run(running!.id)).status).toBe('cancelled');
      // Ended: a second request is refused, naming the status.
      await expect(other.requestCancel(running!.id)).rejects.toMatchObject({
        code: HistoryErrorCode.NOT_RUNNING,
        message: expect.stringContaining('it ended cancelled'),
      });
      expect(await h.pollCancelRequests()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('task stats: counts, success rate over ended runs, p50/p95 of ended durations, only runs since the instant', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const ok = defineTask({ name: 'a', run: () => 1 });
    const bad = defineTask({
      name: 'a-bad',
      run: () => {
        throw new Error('no');
      },
    });
    const early = await engine.run(ok);
    await h.flush();
    const since = (await h.run(early.runId)).startedAt + 0.0005;
    for (let i = 0; i < 3; i++) await engine.run(ok);
    await engine.run(bad);
    let release!: () => void;
    const waits = defineTask({ name: 'b', run: () => new Promise<void>((resolve) => (release = resolve)) });
    const pending = engine.run(waits);
    await h.flush();
    const stats = await h.taskStats(since);
    expect(stats.map((s) => s.task)).toEqual(['a', 'a-bad', 'b']);
    const [a, aBad, b] = stats;
    expect(a).toMatchObject({ task: 'a', runs: 3, succeeded: 3, failed: 0, cancelled: 0, successRate: 1 });
    expect(a!.p50Ms).not.toBeNull();
    expect(a!.p50Ms!).toBeLessThanOrEqual(a!.p95Ms!);
    expect(aBad).toMatchObject({ runs: 1, succeeded: 0, failed: 1, successRate: 0 });
    // Running: counted as a run, not in the rate or the durations.
    expect(b).toEqual({ task: 'b', runs: 1, succeeded: 0, failed: 0, cancelled: 0, successRate: null, p50Ms: null, p95Ms: null });
    release();
    await pending;
  });

  it('reports an ambiguous id prefix with the matching ids', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const t = defineTask({ name: 't', run: () => 1 });
    await engine.run(t, undefined, { runId: 'abc-1' });
    await engine.run(t, undefined, { runId: 'abc-2' });
    await h.flush();
    const error = (await h.run('abc').catch((e: unknown) => e)) as CascadenceError;
    expect(error.code).toBe(HistoryErrorCode.AMBIGUOUS_RUN);
    expect(error.message).toContain('abc-1, abc-2');
  });

  it('finds a run by the short id `task runs` shows (its last characters): time-ordered ids share their start', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const t = defineTask({ name: 't', run: () => 1 });
    // Two ids of the same minute (a fixed clock keeps them off a 65.5 s boundary of the 8th hex char).
    const now = jest.spyOn(Date, 'now').mockReturnValue(4_102_445_007_848);
    const [idA, idB] = [newRunId(), newRunId()];
    now.mockRestore();
    const a = (await engine.run(t, undefined, { runId: idA })).runId;
    const b = (await engine.run(t, undefined, { runId: idB })).runId;
    await h.flush();
    expect(a.slice(0, 8)).toBe(b.slice(0, 8)); // same start: a prefix of 8 is ambiguous
    expect((await h.run(shortRunId(a))).id).toBe(a);
    expect((await h.run(shortRunId(b))).id).toBe(b);
    expect((await h.run(b.slice(-12))).id).toBe(b);
    // A start that is shared still names every run it matches; a longer unique start works.
    const ambiguous = (await h.run(a.slice(0, 8)).catch((e: unknown) => e)) as CascadenceError;
    expect(ambiguous.code).toBe(HistoryErrorCode.AMBIGUOUS_RUN);
    expect(ambiguous.message).toContain(`${a}, ${b}`);
    expect((await h.run(b.slice(0, 34))).id).toBe(b);
    // A mistyped short id is compared with the short forms, and the suggestion is the full id.
    const typo = `${shortRunId(a).slice(0, 7)}${shortRunId(a).endsWith('0') ? '1' : '0'}`;
    const unknown = (await h.run(typo).catch((e: unknown) => e)) as CascadenceError;
    expect(unknown.code).toBe(HistoryErrorCode.UNKNOWN_RUN);
    expect(unknown.suggestions.join()).toContain(a);
  });

  it('keeps values whole up to the cap, truncated beyond it, and marks unserialisable or omitted ones; never fails the run', async () => {
    const h = await open({ maxValueBytes: 100 });
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const flow = defineFlow({
      name: 'values',
      steps: {
        big: { run: () => 'x'.repeat(500) },
        bigint: { run: () => 10n },
        loop: { run: () => circular },
        nothing: { run: () => undefined },
      },
    });
    const result = await engine.run(flow);
    expect(result.status).toBe('succeeded');
    await h.flush();
    const steps = Object.fromEntries((await h.steps(result.runId)).map((s) => [s.step, s.output]));
    expect(steps.big).toMatchObject({ state: 'truncated', bytes: 502 });
    expect(Buffer.byteLength(steps.big?.json ?? '')).toBeLessThanOrEqual(100);
    expect(steps.bigint).toMatchObject({ state: 'unserializable' });
    expect(steps.bigint?.reason).toMatch(/BigInt/);
    expect(steps.loop?.state).toBe('unserializable');
    expect(steps.nothing).toEqual({ state: 'none' });
  });

  it('records no inputs or outputs when values are off', async () => {
    const h = await open({ values: false });
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const result = await engine.run(defineTask({ name: 'secret', run: () => 'hunter2' }), { password: 'hunter2' });
    await h.flush();
    const [run] = await h.runs();
    expect(run?.input).toEqual({ state: 'omitted' });
    const [step] = await h.steps(result.runId);
    expect(step?.output).toEqual({ state: 'omitted' });
    expect(JSON.stringify(await h.runs())).not.toContain('hunter2');
  });

  it('retries from the failed step: reuses recorded outputs, reruns the failed step and everything downstream', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const failC = { on: true };
    const log: string[] = [];
    const first = await engine.run(diamond(failC, log), 'in');
    await h.flush();

    const run = await h.run(first.runId);
    const plan = planRetry(run, await h.steps(run.id), diamond(failC));
    expect(plan.reused.sort()).toEqual(['a', 'b']);
    expect(plan.rerun.sort()).toEqual(['c', 'cleanup', 'd']);
    expect(plan.input).toBe('in');

    failC.on = false;
    log.length = 0;
    const retry = await engine.run(diamond(failC, log), plan.input, { reuse: plan.reuse, trigger: { kind: 'retry', retryOf: run.id } });
    expect(retry.status).toBe('succeeded');
    expect(log.sort()).toEqual(['c', 'cleanup', 'd']);
    expect(retry.output).toEqual({ cleanup: 'cleaned' });
    await h.flush();
    const recorded = await h.run(retry.runId);
    expect(recorded).toMatchObject({ trigger: 'retry', retryOf: first.runId, status: 'succeeded' });
    const steps = Object.fromEntries((await h.steps(retry.runId)).map((s) => [s.step, s]));
    expect(steps.a).toMatchObject({ status: 'succeeded', reused: true, attempts: 0, output: { state: 'ok', json: '{"n":1}' } });
    expect(steps.d).toMatchObject({ status: 'succeeded', reused: false, output: { state: 'ok', json: '"11/c-ok"' } });
  });

  it('refuses a retry that would need an output that was not recorded, unless everything reruns', async () => {
    const h = await open({ maxValueBytes: 10 });
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const flow = defineFlow({
      name: 'needsbig',
      steps: {
        big: { run: () => 'y'.repeat(100) },
        use: {
          needs: ['big'],
          run: () => {
            throw new Error('fails');
          },
        },
      },
    });
    const first = await engine.run(flow);
    await h.flush();
    const run = await h.run(first.runId);
    const steps = await h.steps(run.id);
    expect(() => planRetry(run, steps, flow)).toThrow(
      /the output of step "big" is needed but it was 102 bytes, over the history value cap/,
    );
    const all = planRetry(run, steps, flow, { rerunAll: true });
    expect(all).toMatchObject({ reuse: undefined, reused: [] });
  });

  it('shows a run whose process was killed as interrupted, never running forever', async () => {
    const options = await fresh();
    const child = await runChild([JSON.stringify(options), 'hang'], { killAfterStart: true });
    expect(child.code).toBe(null);
    history = await openHistory({ ...options, logger: silentLogger });
    const runs = await history.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ task: 'hang', status: 'interrupted' });
    expect((await history.runs({ status: 'interrupted' })).length).toBe(1);
    expect(await history.runs({ status: 'running' })).toEqual([]);
  });

  it('lets several processes record into one store at once, and a reader follow them live', async () => {
    const options = await fresh();
    const h = await openHistory({ ...options, logger: silentLogger });
    history = h;
    const seen = new Set<string>();
    const stop = h.subscribe(
      (run) => {
        if (run.status === 'succeeded') seen.add(run.id);
      },
      { intervalMs: 50 },
    );
    const children = await Promise.all([
      runChild([JSON.stringify(options), 'many', '150']),
      runChild([JSON.stringify(options), 'many', '150']),
    ]);
    for (const child of children) expect(child).toMatchObject({ code: 0 });
    const runs = await h.runs({ limit: 1000 });
    expect(runs).toHaveLength(300);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop();
    expect(seen.size).toBe(300);
  });

  it('a live reader gets every run of a batch larger than its page (one flush stamps them all alike)', async () => {
    const h = await open();
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const seen = new Set<string>();
    const stop = h.subscribe((run) => {
      if (run.status === 'succeeded') seen.add(run.id);
    });
    const t = defineTask({ name: 'burst', run: () => 1 });
    // Started in one synchronous stretch: they end before any flush, so one flush writes all 2,500.
    await Promise.all(Array.from({ length: 2500 }, () => engine.run(t)));
    await h.flush();
    for (let waited = 0; seen.size < 2500 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    expect(seen.size).toBe(2500);
  }, 30_000);

  it('applies retention by count and by age, never deleting a running run', async () => {
    const h = await open({ keep: 3 });
    const engine = new Engine({ logger: silentLogger });
    h.record(engine as never);
    const t = defineTask({ name: 't', run: () => 1 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await engine.run(t)).runId);
    await h.flush();
    expect(await h.applyRetention()).toBe(3);
    expect((await h.runs()).map((r) => r.id)).toEqual(ids.slice(3).reverse());
    expect(await h.steps(ids[0] as string)).toEqual([]);

    const aged = await openHistory({ ...(await fresh()), keep: '1s', logger: silentLogger });
    try {
      const e2 = new Engine({ logger: silentLogger });
      aged.record(e2 as never);
      let release!: () => void;
      const slow = defineTask({ name: 'slow', run: () => new Promise<number>((resolve) => (release = () => resolve(1))) });
      await e2.run(t);
      const pending = e2.run(slow);
      await aged.flush();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // The background pass (1 s after recording starts) may have deleted it already.
      await aged.applyRetention();
      expect((await aged.runs()).map((r) => r.task)).toEqual(['slow']);
      release();
      await pending;
    } finally {
      await aged.close();
    }
  });
}
