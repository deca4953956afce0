/** TemporalScheduler keeps schedules as Temporal Schedules; a real schedule fires a real task. */
import { CascadenceError, Registry, defineTask, silentLogger } from '@cascadence/core';
import { TemporalScheduler, toTemporalCron, type CascadenceWorker } from '../src';
import { describeSchedulerContract } from '@cascadence/test-kit';
import { describeTemporal, serverAddress, startWorker, uniqueQueue } from './helpers';

const runIds: string[] = [];
const tick = defineTask({
  name: 'tick',
  run: (ctx, input: { label: string }) => {
    runIds.push(ctx.runId);
    return input.label;
  },
});
const other = defineTask({ name: 'other-task', run: () => 'other' });

async function eventually<T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`condition not met in time; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('toTemporalCron', () => {
  it('keeps 5 fields, turns the 6-field seconds-first form into Temporal 7 fields, rejects the rest', () => {
    expect(toTemporalCron('0 12 * * *', 't')).toBe('0 12 * * *');
    expect(toTemporalCron(' */2  * * * * * ', 't')).toBe('*/2 * * * * * *');
    expect(toTemporalCron('@daily', 't')).toBe('@daily');
    expect(() => toTemporalCron('* *', 'nightly')).toThrow(/invalid cron expression "\* \*" for task "nightly"/);
  });
});

describeTemporal('TemporalScheduler', () => {
  const taskQueue = uniqueQueue('sched');
  const prefix = `${taskQueue}-`;
  let worker: CascadenceWorker;
  let scheduler: TemporalScheduler;

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, tasks: [tick, other], logger: silentLogger });
    scheduler = new TemporalScheduler({
      address: serverAddress(),
      taskQueue,
      tasks: [tick, other],
      timezone: 'Europe/Paris',
      schedulePrefix: prefix,
    });
    await scheduler.start();
  });
  afterAll(async () => {
    await scheduler?.unschedule('tick').catch(() => undefined);
    await scheduler?.unschedule('other-task').catch(() => undefined);
    await scheduler?.stop();
    await worker?.shutdown();
  });

  it('a schedule fires the task on the worker, each fire with its own run id', async () => {
    const job = await scheduler.schedule(tick, '*/1 * * * * *', {
      input: { label: 'fired' },
      overlap: 'skip',
      catchUpWindowMs: 60_000,
      jitterMs: 0,
    });
    expect(job).toMatchObject({
      task: 'tick',
      cron: '*/1 * * * * *',
      timezone: 'Europe/Paris',
      paused: false,
      overlap: 'skip',
      scheduleId: `${prefix}tick`,
    });
    expect(job.nextRun).toBeInstanceOf(Date);
    await eventually(
      async () => runIds.length,
      (n) => n >= 2,
    );
    expect(new Set(runIds).size).toBe(runIds.length);
    expect(runIds.every((id) => id.length > 0)).toBe(true);
    const after = await scheduler.job('tick');
    expect(after?.runs).toBeGreaterThanOrEqual(2);
  });

  it('pause, resume, upsert without duplicates, list, unschedule', async () => {
    await scheduler.pause('tick');
    expect((await scheduler.job('tick'))?.paused).toBe(true);
    const firedWhilePaused = runIds.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // At most one run that was already starting when the pause arrived.
    expect(runIds.length - firedWhilePaused).toBeLessThanOrEqual(1);
    await scheduler.resume('tick');
    expect((await scheduler.job('tick'))?.paused).toBe(false);

    const updated = await scheduler.schedule('tick', '0 3 * * *', { timezone: 'UTC', overlap: 'buffer-one', paused: true });
    expect(updated).toMatchObject({ task: 'tick', cron: '0 3 * * *', timezone: 'UTC', overlap: 'buffer-one', paused: true });
    await scheduler.schedule(other, '30 2 * * 1-5');
    const jobs = await eventually(
      () => scheduler.jobs(),
      (list) => list.length === 2,
    );
    expect(jobs.map((j) => [j.task, j.cron])).toEqual([
      ['other-task', '30 2 * * 1-5'],
      ['tick', '0 3 * * *'],
    ]);

    await scheduler.unschedule('tick');
    await expect(scheduler.unschedule('tick')).rejects.toMatchObject({ code: 'CASCADENCE_UNKNOWN_SCHEDULE' });
    expect(await scheduler.job('tick')).toBeUndefined();
    await expect(scheduler.pause('tick')).rejects.toThrow(`task "tick" has no Temporal schedule (id "${prefix}tick")`);
  });

  it('rejects bad expressions naming the task, unknown names and disabled tasks', async () => {
    const bad = await scheduler.schedule(tick, '99 * * * *').catch((e: unknown) => e);
    expect(CascadenceError.isInstance(bad, 'CASCADENCE_TEMPORAL_SCHEDULE')).toBe(true);
    expect((bad as Error).message).toContain('schedule "99 * * * *" of task "tick"');
    await expect(scheduler.schedule('nope', '* * * * *')).rejects.toMatchObject({ code: 'CASCADENCE_UNKNOWN_TASK' });
    // Temporal's name for it became the shared one: 'allow-all' is refused, pointing at 'allow'.
    await expect(scheduler.schedule(tick, '0 3 * * *', { overlap: 'allow-all' as never })).rejects.toMatchObject({
      code: 'CASCADENCE_TEMPORAL_SCHEDULE',
      suggestions: ['allow'],
    });
    const registry = new Registry().add(tick);
    registry.disable('tick');
    const guarded = new TemporalScheduler({ address: serverAddress(), taskQueue, registry, schedulePrefix: prefix });
    await expect(guarded.schedule('tick', '* * * * *')).rejects.toMatchObject({ code: 'CASCADENCE_TASK_DISABLED' });
    await guarded.stop();
  });
});

describeTemporal('TemporalScheduler and the shared Scheduler contract', () => {
  const alpha = defineTask({ name: 'alpha', run: () => 'a' });
  const beta = defineTask({ name: 'beta', run: () => 'b' });
  let round = 0;
  // Each test gets its own schedule-id prefix: no worker is needed (nothing is due while a test runs).
  describeSchedulerContract('TemporalScheduler (real dev server)', async () => {
    const schedulePrefix = `${uniqueQueue('contract')}-${round++}-`;
    const scheduler = new TemporalScheduler({
      address: serverAddress(),
      taskQueue: uniqueQueue('contract'),
      tasks: [alpha, beta],
      schedulePrefix,
    });
    return {
      scheduler,
      alpha,
      beta,
      close: async () => {
        for (const task of [alpha.name, beta.name]) await scheduler.unschedule(task).catch(() => undefined);
        await scheduler.stop();
      },
    };
  });
});
