/** CronScheduler against core's Scheduler contract (the same suite TemporalScheduler runs on a real server). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask, silentLogger } from '@cascadence/core';
import { describeSchedulerContract } from '@cascadence/test-kit';
import { CronScheduler } from '../src';

const alpha = defineTask({ name: 'alpha', run: () => 'a' });
const beta = defineTask({ name: 'beta', run: () => 'b' });

describeSchedulerContract('CronScheduler (schedules.yml in a temp folder)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-contract-'));
  const scheduler = new CronScheduler({
    storagePath: join(dir, 'schedules.yml'),
    tasks: [alpha, beta],
    logger: silentLogger,
    watch: false,
  });
  return {
    scheduler,
    alpha,
    beta,
    close: async () => {
      await scheduler.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
