/**
 * Partitioned runs on the real dev server (partition.ts): with a small partitionHistoryEvents a run
 * continues as new several times and still gives the local engine's RunResult; the live-progress
 * query and cancellation reach the current partition; every partition's history replays.
 */
import { Engine, defineFlow, defineTask, silentLogger, type Flow } from '@cascadence/core';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { TemporalBackend, replay, type CascadenceWorker } from '../src';
import { bundlePath, comparable, describeTemporal, serverAddress, startWorker, uniqueQueue } from './helpers';

const source = defineTask({ name: 'p-source', run: (_ctx, input: { base: number }) => input.base });
const add = defineTask({
  name: 'p-add',
  run: (ctx, n: number) => {
    if (n % 97 === 13) throw new Error(`bad ${n}`);
    if (n % 89 === 7) return ctx.skip(`skip ${n}`);
    return (Object.values(ctx.results)[0] as number) + n;
  },
});
const next = defineTask({ name: 'p-next', run: (ctx) => (Object.values(ctx.results)[0] as number) + 1 });

/** One source, `n` steps that need it (some fail, some skip themselves), a dependant of each tenth, and an all-done leaf. */
function wide(n: number): Flow {
  const steps: Record<string, object> = { source: { task: source } };
  for (let i = 0; i < n; i++) steps[`s${i}`] = { needs: ['source'], task: add, with: i };
  for (let i = 0; i < n; i += 10)
    steps[`d${i}`] = { needs: [`s${i + 3}`], run: (ctx: { results: Record<string, unknown> }) => ctx.results };
  steps.end = { needs: Object.keys(steps).filter((id) => id.startsWith('d')), when: 'all-done', run: () => 'end' };
  return defineFlow({ name: `pwide${n}`, steps } as never);
}
function chain(n: number): Flow {
  const steps: Record<string, object> = { s0: { task: source } };
  for (let i = 1; i < n; i++) steps[`s${i}`] = { needs: [`s${i - 1}`], task: next };
  return defineFlow({ name: `pchain${n}`, steps } as never);
}
const waiting = defineFlow({
  name: 'pwait',
  steps: {
    ...Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`c${i}`, i === 0 ? { run: () => 0 } : { needs: [`c${i - 1}`], run: () => i }]),
    ),
    wait: {
      needs: ['c29'],
      run: (ctx: { signal: AbortSignal }) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))),
    },
    after: { needs: ['wait'], run: () => 'after' },
  },
} as never);

/** What `psettle`'s nested teardown did, as the worker (in this process) ran it. */
const tidied: string[] = [];
/**
 * A nested step that times out at 200 ms while a chain of 40 steps beside it fills the history:
 * the run reaches its partition point while the nested flow's `always` step (4 s) still runs.
 */
const settling = defineFlow({
  name: 'psettle',
  steps: {
    sub: {
      timeoutMs: 200,
      task: defineFlow({
        name: 'psettle-inner',
        steps: {
          work: {
            run: (ctx: { signal: AbortSignal }) =>
              new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))),
          },
          tidy: {
            needs: ['work'],
            when: 'always',
            run: async () => {
              await new Promise((resolve) => setTimeout(resolve, 4000));
              tidied.push('tidied');
              return 'tidied';
            },
          },
        },
      } as never),
    },
    ...Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`c${i}`, i === 0 ? { run: () => 0 } : { needs: [`c${i - 1}`], task: next }]),
    ),
  },
} as never);

/** Activities scheduled in a history that it never closed (completed, failed, timed out or cancelled), by activity id. */
function openActivities(history: temporal.api.history.v1.IHistory): string[] {
  const open = new Map<string, string>();
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) open.set(String(event.eventId), scheduled.activityId ?? '');
    const closed =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    if (closed) open.delete(String(closed.scheduledEventId));
  }
  return [...open.values()];
}

const wideFlow = wide(300);
const chainFlow = chain(60);

/** The Temporal run ids of a workflow's runs, first to last (following ContinueAsNew events), with each history. */
async function runsOf(client: Client, workflowId: string, firstRunId: string): Promise<Array<{ runId: string; history: unknown }>> {
  const runs: Array<{ runId: string; history: unknown }> = [];
  for (let runId: string | undefined = firstRunId; runId !== undefined;) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history });
    const last: temporal.api.history.v1.IHistoryEvent | undefined = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

describeTemporal('partitioned runs (continue-as-new)', () => {
  const taskQueue = uniqueQueue('partition');
  const engine = new Engine({ logger: silentLogger });
  let worker: CascadenceWorker;
  let backend: TemporalBackend;

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, tasks: [wideFlow, chainFlow, waiting, settling], logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue, concurrency: 32, partitionHistoryEvents: 150 });
  });
  afterAll(async () => {
    await backend?.close();
    await worker?.shutdown();
  });

  it('a wide flow with failures, self-skips and an all-done leaf continues as new several times and gives the local RunResult; every run replays', async () => {
    const input = { base: 5 };
    const handle = await backend.start(wideFlow, input);
    const onTemporal = await handle.result();
    const local = await engine.run(wideFlow, input);
    expect(local.status).toBe('failed');
    expect(comparable(onTemporal)).toEqual(comparable(local));
    expect(Object.values(onTemporal.steps).filter((s) => s.status === 'skipped').length).toBeGreaterThan(3);
    const client = await backend.client();
    const runs = await runsOf(client, handle.workflowId, handle.temporalRunId!);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const run of runs) {
      const report = await replay(run.history as never, { workflowBundle: { codePath: bundlePath as string } });
      expect([run.runId, report.ok, report.error?.message]).toEqual([run.runId, true, undefined]);
    }
  }, 180_000);

  it('a chain of regular steps continues as new and gives the local RunResult', async () => {
    const input = { base: 3 };
    const handle = await backend.start(chainFlow, input);
    const onTemporal = await handle.result();
    expect(comparable(onTemporal)).toEqual(comparable(await engine.run(chainFlow, input)));
    expect(onTemporal.output).toEqual({ s59: 62 });
    const runs = await runsOf(await backend.client(), handle.workflowId, handle.temporalRunId!);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    // The last run keeps the memo and search attributes of the first (the server carries them over).
    const last = await (await backend.client()).workflow.getHandle(handle.workflowId).describe();
    expect(last.runId).toBe(runs[runs.length - 1]!.runId);
    expect(await last.memo).toMatchObject({ cascadenceTask: 'pchain60' });
    expect(last.searchAttributes.CascadenceTask).toEqual(['pchain60']);
  }, 180_000);

  it("continues as new only after a timed-out nested step's `always` steps have ended (their activities are not abandoned)", async () => {
    tidied.length = 0;
    const handle = await backend.start(settling, undefined);
    const onTemporal = await handle.result();
    // Before, the run continued as new while the teardown ran and ended long before it: its
    // activity was left open in the first run's history, its end (or failure) reached nobody.
    expect(tidied).toEqual(['tidied']);
    const runs = await runsOf(await backend.client(), handle.workflowId, handle.temporalRunId!);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) {
      expect([run.runId, openActivities(run.history as temporal.api.history.v1.IHistory)]).toEqual([run.runId, []]);
      const report = await replay(run.history as never, { workflowBundle: { codePath: bundlePath as string } });
      expect([run.runId, report.ok, report.error?.message]).toEqual([run.runId, true, undefined]);
    }
    const local = await engine.run(settling, undefined);
    expect(comparable(onTemporal)).toEqual(comparable(local));
    expect(onTemporal.steps.sub?.status).toBe('failed');
    expect(onTemporal.steps.c39).toMatchObject({ status: 'succeeded', output: 39 });
  }, 120_000);

  it('the live-progress query and cancellation reach a later partition, with the steps of earlier ones', async () => {
    const handle = await backend.start(waiting, undefined);
    let description = await handle.describe();
    for (let k = 0; k < 200 && description.progress?.steps.wait?.status !== 'running'; k++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      description = await handle.describe();
    }
    expect(description.progress?.steps.wait?.status).toBe('running');
    expect(description.temporalRunId).not.toBe(handle.temporalRunId);
    expect(description.progress?.steps.c0).toMatchObject({ status: 'succeeded', output: 0, attempts: 1 });
    expect(description.progress?.steps.c29).toMatchObject({ status: 'succeeded', output: 29 });
    await handle.cancel(new Error('enough'));
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    expect(result.steps.c29?.status).toBe('succeeded');
    expect(result.steps.wait?.status).toBe('cancelled');
    expect(result.steps.after?.status).toBe('cancelled');
    expect(result.error?.message).toBe('flow "pwait" was cancelled: enough');
  }, 120_000);
});
