import { CascadenceError, ErrorCode, SCHEDULE_OVERLAPS, type Runnable, type Scheduler, type ScheduleView } from '@cascadence/core';

/** One scheduler under test, made fresh for each test. */
export interface SchedulerContractSubject {
  /** Made without a `timezone` option: the shared default must show. */
  scheduler: Scheduler;
  /** Two tasks the scheduler may schedule by name or object (names sort as `alpha` < `beta`). */
  alpha: Runnable;
  beta: Runnable;
  /** Removes what the test left (schedules, files, connections). */
  close(): Promise<void>;
}

/** Lists that may lag a moment behind changes (Temporal's visibility store) are read until `ok`. */
async function eventually<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const listed = async (scheduler: Scheduler): Promise<ScheduleView[]> => [...(await scheduler.jobs())];

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, the call resolved');
}

/**
 * The contract of core's `Scheduler`, run against each implementation: the same names, the
 * same defaults and the same error for an unknown schedule on every backend.
 */
export function describeSchedulerContract(label: string, open: () => Promise<SchedulerContractSubject>): void {
  describe(`Scheduler contract: ${label}`, () => {
    let subject: SchedulerContractSubject;
    beforeEach(async () => {
      subject = await open();
    });
    afterEach(async () => {
      await subject?.close();
    });

    it('defaults: UTC, overlap skip, no catch-up (Temporal: its 10 s minimum), no jitter, not paused; nextRun a Date', async () => {
      const { scheduler, alpha } = subject;
      expect(scheduler.timezone).toBe('UTC');
      const view = await scheduler.schedule(alpha, '0 3 * * *');
      expect(view).toMatchObject({ task: alpha.name, cron: '0 3 * * *', timezone: 'UTC', overlap: 'skip', paused: false, jitterMs: 0 });
      expect(view.catchUpWindowMs).toBeGreaterThanOrEqual(0);
      expect(view.catchUpWindowMs).toBeLessThanOrEqual(10_000);
      expect(view.nextRun).toBeInstanceOf(Date);
      // 03:00 in UTC, the shared default zone.
      expect(view.nextRun?.getUTCHours()).toBe(3);
      expect(view.nextRun?.getUTCMinutes()).toBe(0);
    });

    it('options keep their meaning: zone, every shared overlap policy, jitter, paused', async () => {
      const { scheduler, alpha } = subject;
      const inParis = await scheduler.schedule(alpha.name, '0 3 * * *', {
        timezone: 'Europe/Paris',
        overlap: 'buffer-one',
        jitterMs: 500,
        paused: true,
      });
      expect(inParis).toMatchObject({ timezone: 'Europe/Paris', overlap: 'buffer-one', jitterMs: 500, paused: true });
      for (const overlap of SCHEDULE_OVERLAPS) {
        expect((await scheduler.schedule(alpha.name, '0 3 * * *', { overlap })).overlap).toBe(overlap);
      }
    });

    it("schedule() replaces the task's one schedule; jobs() lists each task once, sorted by name", async () => {
      const { scheduler, alpha, beta } = subject;
      await scheduler.schedule(beta, '30 2 * * 1-5');
      await scheduler.schedule(alpha, '0 3 * * *');
      await scheduler.schedule(alpha, '15 4 * * *');
      const jobs = await eventually(
        () => listed(scheduler),
        (list) => list.length === 2 && list.some((j) => j.cron === '15 4 * * *'),
      );
      expect(jobs.map((j) => [j.task, j.cron])).toEqual([
        [alpha.name, '15 4 * * *'],
        [beta.name, '30 2 * * 1-5'],
      ]);
    });

    it('pause and resume show in jobs()', async () => {
      const { scheduler, alpha } = subject;
      await scheduler.schedule(alpha, '0 3 * * *');
      await scheduler.pause(alpha.name);
      expect(
        (
          await eventually(
            () => listed(scheduler),
            (l) => l[0]?.paused === true,
          )
        )[0]?.paused,
      ).toBe(true);
      await scheduler.resume(alpha.name);
      expect(
        (
          await eventually(
            () => listed(scheduler),
            (l) => l[0]?.paused === false,
          )
        )[0]?.paused,
      ).toBe(false);
    });

    it('unschedule removes the schedule; unschedule, pause and resume of a name without one reject with CASCADENCE_UNKNOWN_SCHEDULE', async () => {
      const { scheduler, alpha } = subject;
      await scheduler.schedule(alpha, '0 3 * * *');
      await expect(scheduler.unschedule(alpha.name)).resolves.toBeUndefined();
      expect(
        await eventually(
          () => listed(scheduler),
          (l) => l.length === 0,
        ),
      ).toEqual([]);
      for (const call of [() => scheduler.unschedule(alpha.name), () => scheduler.pause(alpha.name), () => scheduler.resume(alpha.name)]) {
        const error = await rejection(call());
        expect(CascadenceError.isInstance(error, ErrorCode.UNKNOWN_SCHEDULE)).toBe(true);
        expect((error as Error).message).toContain(`"${alpha.name}"`);
      }
    });
  });
}
