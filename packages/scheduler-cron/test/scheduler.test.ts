import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CascadenceError, defineTask, ErrorCode, Registry, type ExecutionBackend, type RunResult, type Runnable } from '@cascadence/core';
import { CronScheduler, MAX_TIMEOUT_MS, ScheduleErrorCode, type CronSchedulerOptions } from '../src';
import { FakeClock, iso, settle, silent, tempDir, type ScheduleEvt } from './helpers';

const T0 = Date.parse('2025-01-01T00:00:00Z');

let cleanups: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

interface Harness {
  scheduler: CronScheduler;
  clock: FakeClock;
  runs: Array<{ task: string; at: number }>;
  events: ScheduleEvt[];
  path: string;
  dir: string;
}

/** A scheduler on a fake clock over a real temp file. */
function harness(options: {
  file?: string;
  start?: number;
  tasks?: Runnable[];
  names?: string[];
  dir?: string;
  clock?: FakeClock;
  extra?: Partial<CronSchedulerOptions>;
}): Harness {
  const temp = options.dir === undefined ? tempDir() : { dir: options.dir, cleanup: () => undefined };
  cleanups.push(temp.cleanup);
  const path = join(temp.dir, 'schedules.yml');
  if (options.file !== undefined) writeFileSync(path, options.file);
  const clock = options.clock ?? new FakeClock(options.start ?? T0);
  const runs: Array<{ task: string; at: number }> = [];
  const tasks =
    options.tasks ??
    (options.names ?? ['a', 'b', 'c']).map((name) =>
      defineTask({
        name,
        run: () => {
          runs.push({ task: name, at: clock.now() });
        },
      }),
    );
  const scheduler = new CronScheduler({ storagePath: path, tasks, clock, logger: silent, watch: false, ...options.extra });
  const events: ScheduleEvt[] = [];
  scheduler.events.onAny((event) => {
    if (event.type.startsWith('schedule:')) events.push(event as ScheduleEvt);
  });
  cleanups.push(() => scheduler.stop({ timeoutMs: 0 }));
  return { scheduler, clock, runs, events, path, dir: temp.dir };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('firing', () => {
  it('fires nothing before start(), then once per due slot with one timer', async () => {
    const h = harness({ file: 'a: "* * * * * *"\nb: "*/2 * * * * *"\n', extra: { persistState: false } });
    await h.clock.advance(5_000);
    expect(h.runs).toEqual([]);
    expect(h.clock.pending).toBe(0);
    h.scheduler.start();
    expect(h.clock.pending).toBe(1);
    await h.clock.advance(4_000);
    const at = (task: string): string[] => h.runs.filter((r) => r.task === task).map((r) => iso(r.at));
    expect(at('a')).toEqual([
      '2025-01-01T00:00:06.000Z',
      '2025-01-01T00:00:07.000Z',
      '2025-01-01T00:00:08.000Z',
      '2025-01-01T00:00:09.000Z',
    ]);
    expect(at('b')).toEqual(['2025-01-01T00:00:06.000Z', '2025-01-01T00:00:08.000Z']);
    const fire = h.events.find((e) => e.type === 'schedule:fire' && e.task === 'a');
    expect(fire).toMatchObject({ type: 'schedule:fire', scheduledAt: Date.parse('2025-01-01T00:00:06Z'), lagMs: 0 });
    // jobs due at the same instant share one timer
    expect(h.clock.pending).toBe(1);
  });

  it('waits longer than 24.8 days by chaining timers, and fires a yearly job exactly once', async () => {
    const h = harness({
      file: 'a: "@yearly"\n',
      start: Date.parse('2025-03-01T00:00:00Z'),
      extra: { maxSleepMs: MAX_TIMEOUT_MS, persistState: false },
    });
    h.scheduler.start();
    expect(h.scheduler.jobs()[0]?.nextRun?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    await h.clock.advanceTo(Date.parse('2026-06-01T00:00:00Z'));
    expect(h.runs.map((r) => iso(r.at))).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(Math.max(...h.clock.delays)).toBeLessThanOrEqual(MAX_TIMEOUT_MS);
    // 306 days to the first fire = 13 chained timers, then 7 more towards the next year's
    expect(h.clock.delays.filter((d) => d === MAX_TIMEOUT_MS).length).toBeGreaterThanOrEqual(12);
    expect(h.clock.delays.length).toBeLessThanOrEqual(21);
  });

  it('with the default hourly wake-up, a job 40 days away still fires on time', async () => {
    const h = harness({ file: 'a: "0 9 10 2 *"\n', start: Date.parse('2025-01-01T00:00:00Z'), extra: { persistState: false } });
    h.scheduler.start();
    await h.clock.advanceTo(Date.parse('2025-03-01T00:00:00Z'));
    expect(h.runs.map((r) => iso(r.at))).toEqual(['2025-02-10T09:00:00.000Z']);
    expect(Math.max(...h.clock.delays)).toBeLessThanOrEqual(3_600_000);
  });

  it.each([
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2025-03-29T00:00:00Z',
      '2025-04-01T00:00:00Z',
      ['2025-03-29T01:30:00.000Z', '2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z'],
    ],
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2025-10-25T00:00:00Z',
      '2025-10-28T00:00:00Z',
      ['2025-10-25T00:30:00.000Z', '2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z'],
    ],
    [
      'America/New_York',
      '30 1 * * *',
      '2025-11-01T00:00:00Z',
      '2025-11-04T00:00:00Z',
      ['2025-11-01T05:30:00.000Z', '2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z'],
    ],
    [
      'America/New_York',
      '30 2 * * *',
      '2025-03-08T00:00:00Z',
      '2025-03-11T00:00:00Z',
      ['2025-03-08T07:30:00.000Z', '2025-03-09T07:30:00.000Z', '2025-03-10T06:30:00.000Z'],
    ],
  ])('DST in %s: "%s" fires once a day through the transition (%s)', async (zone, cron, from, to, expected) => {
    const h = harness({ file: `a: { cron: "${cron}", timezone: "${zone}" }\n`, start: Date.parse(from), extra: { persistState: false } });
    h.scheduler.start();
    await h.clock.advanceTo(Date.parse(to));
    expect(h.runs.map((r) => iso(r.at))).toEqual(expected);
  });

  it('uses the scheduler time zone for entries without one', async () => {
    const h = harness({
      file: 'a: "0 12 * * *"\n',
      start: Date.parse('2025-06-01T00:00:00Z'),
      extra: { timezone: 'Asia/Tokyo', persistState: false },
    });
    h.scheduler.start();
    await h.clock.advanceTo(Date.parse('2025-06-02T00:00:00Z'));
    expect(h.runs.map((r) => iso(r.at))).toEqual(['2025-06-01T03:00:00.000Z']);
    expect(h.scheduler.jobs()[0]?.timezone).toBe('Asia/Tokyo');
  });

  it('a stalled event loop fires the latest overdue slot once and counts the others missed', async () => {
    const h = harness({ file: 'a: "* * * * * *"\n', extra: { persistState: false } });
    h.scheduler.start();
    await h.clock.advance(1_000);
    expect(h.runs).toHaveLength(1);
    h.clock.jump(5_500); // the loop was blocked for 5.5 s
    await h.clock.fireEarliest();
    // slots 2..6 s were due: 6 s runs (late), 2..5 s are missed
    expect(h.runs).toHaveLength(2);
    expect(h.events.filter((e) => e.type === 'schedule:miss')).toEqual([
      expect.objectContaining({ count: 4, task: 'a', scheduledAt: T0 + 5_000 }),
    ]);
    const fires = h.events.filter((e) => e.type === 'schedule:fire');
    expect(fires[1]).toMatchObject({ scheduledAt: T0 + 6_000, lagMs: 500 });
    await h.clock.advance(2_000);
    expect(h.runs.map((r) => iso(r.at)).slice(2)).toEqual(['2025-01-01T00:00:07.000Z', '2025-01-01T00:00:08.000Z']);
  });

  it('hands out jobs due at one instant in slices: a slow task ends the slice, the rest start on the next turn (issue 21)', async () => {
    let clock!: FakeClock;
    const runs: Array<{ task: string; at: number }> = [];
    const tasks = ['a', 'b', 'c'].map((name) =>
      defineTask({
        name,
        run: () => {
          runs.push({ task: name, at: clock.now() });
          if (name === 'a') clock.jump(25); // 25 ms of synchronous work
        },
      }),
    );
    const h = harness({ file: 'a: "* * * * * *"\nb: "* * * * * *"\nc: "* * * * * *"\n', tasks, extra: { persistState: false } });
    clock = h.clock;
    h.scheduler.start();
    h.clock.jump(1_000);
    await h.clock.fireEarliest();
    // b and c did not start inside a's turn: they wait for a 0 ms timer (the loop gets a turn)
    expect(runs.map((r) => r.task)).toEqual(['a']);
    expect(h.clock.delays).toContain(0);
    await h.clock.advance(0);
    expect(runs.map((r) => r.task)).toEqual(['a', 'b', 'c']);
    // same slot, late by the slow task's time: fired, not missed
    const fires = h.events.filter((e): e is Extract<ScheduleEvt, { type: 'schedule:fire' }> => e.type === 'schedule:fire');
    expect(fires.map((f) => [f.task, f.scheduledAt, f.lagMs])).toEqual([
      ['a', T0 + 1_000, 0],
      ['b', T0 + 1_000, 25],
      ['c', T0 + 1_000, 25],
    ]);
    expect(h.events.filter((e) => e.type === 'schedule:miss')).toEqual([]);
    await h.clock.advance(1_000);
    expect(runs.filter((r) => r.task === 'c').map((r) => iso(r.at))).toEqual(['2025-01-01T00:00:01.025Z', '2025-01-01T00:00:02.025Z']);
  });

  it('a job removed while it waits in the backlog of a slice does not fire (issue 21)', async () => {
    let clock!: FakeClock;
    const runs: string[] = [];
    const tasks = ['a', 'b'].map((name) =>
      defineTask({
        name,
        run: () => {
          runs.push(name);
          if (name === 'a') clock.jump(25);
        },
      }),
    );
    const h = harness({ file: 'a: "* * * * * *"\nb: "* * * * * *"\n', tasks, extra: { persistState: false } });
    clock = h.clock;
    const scheduler = h.scheduler;
    scheduler.start();
    h.clock.jump(1_000);
    await h.clock.fireEarliest();
    expect(runs).toEqual(['a']);
    await scheduler.unschedule('b');
    await h.clock.advance(0);
    expect(runs).toEqual(['a']);
  });

  it('jitter delays each fire by 0..jitterMs and keeps scheduledAt on the cron time', async () => {
    const h = harness({ file: 'a: { cron: "*/10 * * * * *", jitterMs: 3000 }\n' });
    h.scheduler.start();
    await h.clock.advance(63_000);
    const fires = h.events.filter((e): e is Extract<ScheduleEvt, { type: 'schedule:fire' }> => e.type === 'schedule:fire');
    expect(fires).toHaveLength(6);
    for (const fire of fires) {
      expect(fire.scheduledAt % 10_000).toBe(0);
      expect(fire.at - fire.scheduledAt).toBeGreaterThanOrEqual(0);
      expect(fire.at - fire.scheduledAt).toBeLessThanOrEqual(3_000);
    }
  });
});

describe('overlap', () => {
  function slowHarness(overlap: string): Harness & { finish: () => void; started: number[] } {
    const gates: Array<() => void> = [];
    const started: number[] = [];
    let clock!: FakeClock;
    const task = defineTask({
      name: 'slow',
      run: async () => {
        started.push(clock.now());
        const gate = deferred();
        gates.push(gate.resolve);
        await gate.promise;
      },
    });
    const h = harness({ file: `slow: { cron: "* * * * * *", overlap: ${overlap} }\n`, tasks: [task] });
    clock = h.clock;
    return { ...h, started, finish: () => gates.shift()?.() };
  }

  it('skip (default): a fire during a run is skipped with reason overlap', async () => {
    const h = slowHarness('skip');
    h.scheduler.start();
    await h.clock.advance(3_000);
    expect(h.started).toEqual([T0 + 1_000]);
    expect(h.events.filter((e) => e.type === 'schedule:skip').map((e) => (e as { reason: string }).reason)).toEqual(['overlap', 'overlap']);
    h.finish();
    await settle();
    await h.clock.advance(1_000);
    expect(h.started).toEqual([T0 + 1_000, T0 + 4_000]);
    h.finish();
  });

  it('buffer-one: one fire waits for the running one, further ones are skipped', async () => {
    const h = slowHarness('buffer-one');
    h.scheduler.start();
    await h.clock.advance(3_500);
    expect(h.started).toEqual([T0 + 1_000]);
    expect(h.events.filter((e) => e.type === 'schedule:skip')).toHaveLength(1);
    h.finish();
    await settle();
    await settle();
    expect(h.started).toEqual([T0 + 1_000, T0 + 3_500]);
    const fires = h.events.filter((e) => e.type === 'schedule:fire');
    expect(fires[1]).toMatchObject({ scheduledAt: T0 + 2_000 });
    h.finish();
  });

  it('allow: runs overlap', async () => {
    const h = slowHarness('allow');
    h.scheduler.start();
    await h.clock.advance(3_000);
    expect(h.started).toEqual([T0 + 1_000, T0 + 2_000, T0 + 3_000]);
    expect(h.scheduler.jobs()[0]?.running).toBe(3);
    h.finish();
    h.finish();
    h.finish();
    await settle();
    expect(h.scheduler.jobs()[0]?.running).toBe(0);
  });
});

describe('paused and disabled', () => {
  it('pause() and resume() persist in the file and skip fires with reason paused', async () => {
    const h = harness({ file: 'a: "* * * * * *"\n' });
    h.scheduler.start();
    await h.clock.advance(1_000);
    const paused = await h.scheduler.pause('a');
    expect(paused).toMatchObject({ task: 'a', paused: true });
    await h.clock.advance(2_000);
    expect(h.runs).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'schedule:skip').map((e) => (e as { reason: string }).reason)).toEqual(['paused', 'paused']);
    await h.scheduler.resume('a');
    await h.clock.advance(1_000);
    expect(h.runs).toHaveLength(2);
    await expect(h.scheduler.pause('zzz')).rejects.toMatchObject({ code: ScheduleErrorCode.UNKNOWN_SCHEDULE });
  });

  it('asks isEnabled at fire time', async () => {
    let enabled = true;
    const h = harness({ file: 'a: "* * * * * *"\n', extra: { isEnabled: (name) => name !== 'a' || enabled } });
    h.scheduler.start();
    await h.clock.advance(1_000);
    enabled = false;
    await h.clock.advance(2_000);
    enabled = true;
    await h.clock.advance(1_000);
    expect(h.runs.map((r) => r.at - T0)).toEqual([1_000, 4_000]);
    expect(h.events.filter((e) => e.type === 'schedule:skip')).toEqual([
      expect.objectContaining({ reason: 'disabled', scheduledAt: T0 + 2_000 }),
      expect.objectContaining({ reason: 'disabled', scheduledAt: T0 + 3_000 }),
    ]);
  });

  it('a core Registry provides tasks and enabled state', async () => {
    const clock = new FakeClock(T0);
    const runs: number[] = [];
    const registry = new Registry().add(defineTask({ name: 'reg', run: () => void runs.push(clock.now()) }));
    const temp = tempDir();
    cleanups.push(temp.cleanup);
    const path = join(temp.dir, 'schedules.yml');
    writeFileSync(path, 'reg: "* * * * * *"\n');
    const scheduler = new CronScheduler({ storagePath: path, registry, clock, logger: silent, watch: false, persistState: false });
    cleanups.push(() => scheduler.stop());
    scheduler.start();
    await clock.advance(1_000);
    registry.disable('reg');
    await clock.advance(1_000);
    expect(runs).toEqual([T0 + 1_000]);
  });
});

describe('schedule / unschedule / jobs', () => {
  it('editing a schedule replaces its job: one fire per slot, never two', async () => {
    const h = harness({});
    h.scheduler.start();
    await h.scheduler.schedule('a', '*/2 * * * * *');
    await h.scheduler.schedule('a', '* * * * * *');
    await h.scheduler.schedule('a', '* * * * * *', { jitterMs: null });
    expect(h.scheduler.jobs()).toHaveLength(1);
    await h.clock.advance(3_000);
    expect(h.runs.map((r) => r.at - T0)).toEqual([1_000, 2_000, 3_000]);
  });

  it('jobs() lists task, cron, timezone, nextRun, lastRun, paused', async () => {
    const h = harness({ file: 'a: { cron: "0 12 * * *", timezone: "Europe/Paris" }\nb: "*/5 * * * * *"\n' });
    h.scheduler.start();
    await h.clock.advance(5_000);
    expect(h.scheduler.jobs()).toEqual([
      expect.objectContaining({
        task: 'a',
        cron: '0 12 * * *',
        timezone: 'Europe/Paris',
        nextRun: new Date('2025-01-01T11:00:00Z'),
        lastRun: null,
        paused: false,
      }),
      expect.objectContaining({
        task: 'b',
        cron: '*/5 * * * * *',
        timezone: 'UTC',
        nextRun: new Date(T0 + 10_000),
        lastRun: new Date(T0 + 5_000),
        paused: false,
      }),
    ]);
  });

  it('unschedule removes job and entry; an unknown name is a CascadenceError', async () => {
    const h = harness({ file: 'a: "* * * * * *"\n' });
    h.scheduler.start();
    await h.scheduler.unschedule('a');
    expect(h.scheduler.jobs()).toEqual([]);
    await h.clock.advance(2_000);
    expect(h.runs).toEqual([]);
    const error = await h.scheduler.unschedule('a').catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, ScheduleErrorCode.UNKNOWN_SCHEDULE)).toBe(true);
    expect((error as Error).message).toContain('no schedule for task "a"');
  });

  it('refuses unknown tasks and bad options before touching anything', async () => {
    const h = harness({});
    await expect(h.scheduler.schedule('bb', '* * * * *')).rejects.toMatchObject({
      code: ErrorCode.UNKNOWN_TASK,
      message: expect.stringContaining('did you mean "b"'),
    });
    await expect(h.scheduler.schedule('a', '* * * * *', { overlap: 'never' as never })).rejects.toMatchObject({
      code: ScheduleErrorCode.INVALID_SCHEDULE_OPTIONS,
    });
    await expect(h.scheduler.schedule('a', '* * * * *', { timeZone: 'UTC' } as never)).rejects.toMatchObject({
      message: expect.stringContaining('did you mean "timezone"'),
    });
    await expect(h.scheduler.schedule('a', '* * * * *', { timezone: 'Nowhere/Land' })).rejects.toMatchObject({
      code: ScheduleErrorCode.INVALID_TIMEZONE,
    });
  });

  it('schedule() accepts a task object it was not given', async () => {
    const h = harness({ names: [] });
    const extra = defineTask({ name: 'extra', run: () => void h.runs.push({ task: 'extra', at: h.clock.now() }) });
    h.scheduler.start();
    await h.scheduler.schedule(extra, '*/30 * * * * *');
    await h.clock.advance(30_000);
    expect(h.runs).toEqual([{ task: 'extra', at: T0 + 30_000 }]);
  });
});

describe('runs, errors and stop', () => {
  it('reports failed runs to onError and every run to onRun', async () => {
    const errors: Array<{ message: string; task?: string }> = [];
    const results: RunResult[] = [];
    const task = defineTask({
      name: 'boom',
      run: () => {
        throw new Error('kaboom');
      },
    });
    const h = harness({
      file: 'boom: "* * * * * *"\n',
      tasks: [task],
      extra: {
        onError: (error, ctx) => void errors.push({ message: error.message, task: ctx.task }),
        onRun: (result) => void results.push(result),
      },
    });
    const runEnds: string[] = [];
    h.scheduler.events.on('run:end', (event) => void runEnds.push(event.status));
    h.scheduler.start();
    await h.clock.advance(1_000);
    await settle();
    expect(errors).toEqual([{ message: 'kaboom', task: 'boom' }]);
    expect(results.map((r) => r.status)).toEqual(['failed']);
    expect(runEnds).toEqual(['failed']);
  });

  it('runs each fire through the configured backend', async () => {
    const calls: string[] = [];
    const backend: ExecutionBackend = {
      name: 'recording',
      run: async (runnable) => {
        calls.push(runnable.name);
        return {
          runId: 'x',
          task: runnable.name,
          status: 'succeeded',
          output: undefined,
          error: undefined,
          steps: {},
          startedAt: 0,
          durationMs: 0,
        } as RunResult<never>;
      },
    };
    const h = harness({ file: 'a: "* * * * * *"\n', extra: { backend } });
    h.scheduler.start();
    await h.clock.advance(2_000);
    expect(calls).toEqual(['a', 'a']);
    expect(h.runs).toEqual([]);
  });

  it('stop() clears timers, lets running tasks finish, and aborts them after the deadline', async () => {
    const gate = deferred();
    let aborted = false;
    const task = defineTask({
      name: 'long',
      run: async (ctx) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          gate.resolve();
        });
        await gate.promise;
      },
    });
    const h = harness({ file: 'long: "* * * * * *"\n', tasks: [task] });
    h.scheduler.start();
    await h.clock.advance(1_000);
    const stopping = h.scheduler.stop({ timeoutMs: 5_000 });
    await settle();
    await h.clock.advance(4_000);
    expect(aborted).toBe(false);
    await h.clock.advance(1_000);
    await expect(stopping).resolves.toEqual({ stillRunning: 0, aborted: true });
    expect(aborted).toBe(true);
    expect(h.clock.pending).toBe(0);
  });

  it('stop() waits for a run that finishes in time', async () => {
    const gate = deferred();
    const task = defineTask({ name: 'slow', run: () => gate.promise });
    const h = harness({ file: 'slow: "* * * * * *"\n', tasks: [task] });
    h.scheduler.start();
    await h.clock.advance(1_000);
    const stopping = h.scheduler.stop({ timeoutMs: 5_000 });
    await h.clock.advance(1_000);
    gate.resolve();
    await expect(stopping).resolves.toEqual({ stillRunning: 0, aborted: false });
  });
});

describe('catch-up after downtime', () => {
  async function downtime(catchUp: string, downFor: number): Promise<Harness> {
    const temp = tempDir();
    cleanups.push(temp.cleanup);
    const file = `a: { cron: "*/10 * * * *"${catchUp} }\n`;
    const first = harness({ file, dir: temp.dir });
    first.scheduler.start();
    await first.clock.advance(10 * 60_000 + 1);
    expect(first.runs).toHaveLength(1);
    await first.scheduler.stop();
    const clock = new FakeClock(first.clock.now() + downFor);
    const second = harness({ dir: temp.dir, clock });
    second.scheduler.start();
    await settle();
    return second;
  }

  it('without catchUp, missed fires are counted (schedule:miss), not run', async () => {
    const h = await downtime('', 35 * 60_000);
    expect(h.runs).toEqual([]);
    expect(h.events).toEqual([expect.objectContaining({ type: 'schedule:miss', task: 'a', count: 3, scheduledAt: T0 + 40 * 60_000 })]);
    expect(h.scheduler.jobs()[0]?.lastRun).toEqual(new Date(T0 + 10 * 60_000));
  });

  it('with catchUp { window }, the latest missed fire runs once at start-up', async () => {
    const h = await downtime(', catchUp: { window: 1h }', 35 * 60_000);
    expect(h.runs).toHaveLength(1);
    expect(h.events.map((e) => [e.type, e.scheduledAt - T0, 'count' in e ? e.count : undefined])).toEqual([
      ['schedule:miss', 30 * 60_000, 2],
      ['schedule:fire', 40 * 60_000, undefined],
    ]);
  });

  it('a missed fire older than the window is not run', async () => {
    const h = await downtime(', catchUp: { window: "2m" }', 35 * 60_000);
    expect(h.runs).toEqual([]);
    expect(h.events).toEqual([expect.objectContaining({ type: 'schedule:miss', count: 3 })]);
  });
});

describe('construction', () => {
  it('re-creates jobs for known tasks and reports the unknown ones without touching them', async () => {
    const warnings: string[] = [];
    const h = harness({
      file: 'a: "* * * * *"\nghost: "0 0 * * *"\n',
      extra: { logger: { ...silent, warn: (m: string) => void warnings.push(m) } },
    });
    expect(h.scheduler.jobs().map((j) => j.task)).toEqual(['a']);
    expect(h.scheduler.unknownTasks).toEqual(['ghost']);
    expect(warnings.join()).toContain('ghost');
  });

  it('rejects a bad timezone option and a bad backend name', () => {
    expect(() => new CronScheduler({ timezone: 'Moon/Base', tasks: [], storagePath: '/nonexistent/x.yml', watch: false })).toThrow(
      /unknown time zone "Moon\/Base"/,
    );
    expect(() => new CronScheduler({ backend: 'temporal', tasks: [], storagePath: '/nonexistent/x.yml', watch: false })).toThrow(
      /no registry/,
    );
  });
});

describe('never stops firing silently (issue 14, item 9)', () => {
  it('runs hourly and daily Australia/Lord_Howe jobs through the April change (cron-parser gave up there)', async () => {
    const errors: Array<[string, string]> = [];
    const h = harness({
      file: 'a: { cron: "0 * * * *", timezone: "Australia/Lord_Howe" }\nb: { cron: "0 2 * * *", timezone: "Australia/Lord_Howe" }\n',
      start: Date.parse('2025-04-05T12:10:00Z'),
      extra: { persistState: false, onError: (error, context) => errors.push([context.phase, error.message]) },
    });
    h.scheduler.start();
    await h.clock.advanceTo(Date.parse('2025-04-06T16:00:00Z'));
    const at = (task: string): string[] => h.runs.filter((r) => r.task === task).map((r) => iso(r.at));
    expect(at('b')).toEqual(['2025-04-05T15:30:00.000Z', '2025-04-06T15:30:00.000Z']);
    const hourly = at('a');
    expect(hourly.slice(0, 4)).toEqual([
      '2025-04-05T13:00:00.000Z',
      '2025-04-05T14:00:00.000Z',
      '2025-04-05T15:30:00.000Z',
      '2025-04-05T16:30:00.000Z',
    ]);
    expect(hourly).toHaveLength(27);
    expect(errors).toEqual([]);
    expect(h.scheduler.job('a')?.nextRun?.toISOString()).toBe('2025-04-06T16:30:00.000Z');
  });

  it('a schedule with no next fire is reported through onError (phase schedule) and the log, and shows nextRun null', async () => {
    const errors: Array<{ phase: string; task?: string; code: unknown; message: string }> = [];
    const logged: string[] = [];
    const h = harness({
      file: 'a: "0 0 1 1 *"\nb: "* * * * *"\n',
      // A few days before the largest instant a Date can hold: no 1 January follows.
      start: 8.64e15 - 5 * 86_400_000,
      extra: {
        persistState: false,
        logger: { ...silent, error: (message: string) => void logged.push(message) },
        onError: (error, context) =>
          errors.push({ phase: context.phase, task: context.task, code: (error as CascadenceError).code, message: error.message }),
      },
    });
    h.scheduler.start();
    expect(errors).toEqual([
      {
        phase: 'schedule',
        task: 'a',
        code: ScheduleErrorCode.NO_NEXT_FIRE,
        message: expect.stringContaining(
          'schedule "a" ("0 0 1 1 *" in UTC) has no fire time after +275760-09-08T00:00:00.000Z: it will not fire again',
        ),
      },
    ]);
    expect(logged.join('\n')).toContain('schedule "a"');
    // ...and as a schedule:stall event, which @cascadence/metrics turns into schedule_stalled{task} 1.
    expect(h.events.filter((e) => e.type === 'schedule:stall')).toEqual([
      expect.objectContaining({ task: 'a', cron: '0 0 1 1 *', timezone: 'UTC' }),
    ]);
    expect(h.scheduler.job('a')?.nextRun).toBeNull();
    expect(h.scheduler.job('b')?.nextRun).not.toBeNull();
    await h.clock.advance(120_000);
    expect(errors).toHaveLength(1); // reported once, not at every wake-up
    expect(h.events.filter((e) => e.type === 'schedule:stall')).toHaveLength(1);
  });
});
