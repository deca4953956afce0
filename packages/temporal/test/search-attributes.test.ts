/**
 * Runs are findable with Temporal's own CLI by task/flow name and trigger: the search attributes
 * CascadenceTask and CascadenceTrigger are registered on the (fresh) dev server when missing and
 * set on every run and every scheduled run.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, TemporalScheduler, type CascadenceWorker } from '../src';
import { describeTemporal, serverAddress, startWorker, temporalBinary, uniqueQueue } from './helpers';

const name = `etl-${randomUUID().slice(0, 8)}`;
const etl = defineFlow({
  name,
  steps: { extract: { run: () => [1, 2] }, load: { needs: ['extract'], run: (ctx) => (ctx.results.extract as number[]).length } },
});

/** `temporal workflow list -q QUERY` as a user would type it; visibility lags a moment behind. */
async function listed(query: string, expected: number): Promise<Array<{ execution: { workflowId: string } }>> {
  let rows: Array<{ execution: { workflowId: string } }> = [];
  for (let i = 0; i < 100; i++) {
    const out = spawnSync(temporalBinary as string, ['workflow', 'list', '--address', serverAddress(), '-q', query, '--output', 'json'], {
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`temporal workflow list failed: ${out.stderr}`);
    rows = out.stdout.trim() === '' ? [] : (JSON.parse(out.stdout) as typeof rows);
    if (rows.length >= expected) return rows;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return rows;
}

describeTemporal('search attributes', () => {
  const taskQueue = uniqueQueue('search');
  let worker: CascadenceWorker;
  let backend: TemporalBackend;

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, tasks: [etl], logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue });
  });
  afterAll(async () => {
    await backend?.close();
    await worker?.shutdown();
  });

  it('temporal workflow list -q \'CascadenceTask="<name>"\' finds runs started by TemporalBackend', async () => {
    const handle = await backend.start(etl);
    expect((await handle.result()).status).toBe('succeeded');
    const rows = await listed(`CascadenceTask="${name}" AND CascadenceTrigger="run"`, 1);
    expect(rows.map((row) => row.execution.workflowId)).toEqual([handle.workflowId]);
    expect((await handle.describe()).raw.searchAttributes).toMatchObject({ CascadenceTask: [name], CascadenceTrigger: ['run'] });
  });

  it('scheduled runs carry CascadenceTrigger="schedule"', async () => {
    const scheduler = new TemporalScheduler({
      address: serverAddress(),
      taskQueue,
      tasks: [etl],
      schedulePrefix: `sa-${randomUUID().slice(0, 6)}-`,
    });
    try {
      await scheduler.schedule(etl, '0 0 1 1 *', { paused: true });
      await scheduler.trigger(name);
      const rows = await listed(`CascadenceTask="${name}" AND CascadenceTrigger="schedule"`, 1);
      expect(rows).toHaveLength(1);
      await scheduler.unschedule(name);
    } finally {
      await scheduler.stop();
    }
  });

  it('searchAttributes: false starts runs without them', async () => {
    const plain = new TemporalBackend({ address: serverAddress(), taskQueue, searchAttributes: false });
    try {
      const handle = await plain.start(etl);
      await handle.result();
      const description = await handle.describe();
      expect(description.raw.searchAttributes?.CascadenceTask).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
