import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineTask } from '@cascadence/core';
import { CronScheduler, type ScheduleRunState } from '../src';
import { writeScheduleState } from '../src/state';
import { FakeClock, silent, tempDir } from './helpers';

// The real writer, watched: which jobs had started, and what it was given, at each write.
jest.mock('../src/state', () => {
  const actual = jest.requireActual('../src/state');
  return { ...actual, writeScheduleState: jest.fn(actual.writeScheduleState) };
});
const watchedWrite = writeScheduleState as jest.MockedFunction<typeof writeScheduleState>;

const T0 = Date.parse('2025-01-01T00:00:00Z');

describe('state file writes and sliced dispatch (issue 21)', () => {
  it('writes the state once the due jobs have all started, not between the slices of their dispatch', async () => {
    const temp = tempDir();
    const path = join(temp.dir, 'schedules.yml');
    writeFileSync(path, 'a: "* * * * * *"\nb: "* * * * * *"\nc: "* * * * * *"\n');
    const clock = new FakeClock(T0);
    const order: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) =>
      defineTask({
        name,
        run: () => {
          order.push(name);
          if (name === 'a') clock.jump(25); // a slow task: the first slice ends after it
        },
      }),
    );
    const scheduler = new CronScheduler({ storagePath: path, tasks, clock, logger: silent, watch: false, stateFlushMs: 0 });
    try {
      scheduler.start();
      await clock.advance(0); // the write start-up asked for
      await scheduler.flushState();
      const written: Array<Array<readonly [string, ScheduleRunState]>> = [];
      watchedWrite.mockClear();
      watchedWrite.mockImplementation((storagePath, updates, ...rest) => {
        const list = [...updates];
        written.push(list);
        order.push('write');
        return jest.requireActual('../src/state').writeScheduleState(storagePath, list, ...rest);
      });
      clock.jump(1_000);
      await clock.fireEarliest();
      expect(order).toEqual(['a']);
      await clock.advance(0);
      await scheduler.flushState();
      // One write, after b and c started, holding the slot all three handled.
      expect(order).toEqual(['a', 'b', 'c', 'write']);
      expect(written[0]?.map(([task, state]) => [task, state.lastSlot])).toEqual([
        ['a', T0 + 1_000],
        ['b', T0 + 1_000],
        ['c', T0 + 1_000],
      ]);
    } finally {
      await scheduler.stop({ timeoutMs: 0 });
      temp.cleanup();
    }
  });
});
