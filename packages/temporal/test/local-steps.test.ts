/**
 * Short steps (timeoutMs ≤ localStepMaxTimeoutMs) run as Temporal local activities, with the same
 * RunResult as the local engine — retries, per-attempt timeouts, non-retryable errors, skips,
 * cancellation — and the history shows it: markers, no activity tasks for them.
 */
import { CascadenceError, Engine, NonRetryableError, defineFlow, silentLogger } from '@cascadence/core';
import { TemporalBackend, type CascadenceWorker } from '../src';
import { comparable, describeTemporal, serverAddress, startWorker, uniqueQueue } from './helpers';

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

const short = { timeoutMs: 2000 };

const mixed = defineFlow({
  name: 'short-steps',
  steps: {
    a: { ...short, run: (_ctx, input: number) => input + 1 },
    flaky: {
      ...short,
      needs: ['a'],
      retry: { attempts: 3, delayMs: 5 },
      run: (ctx) => {
        if (ctx.attempt < 3) throw new Error(`try ${ctx.attempt}`);
        return (ctx.results.a as number) * 10;
      },
    },
    slow: {
      timeoutMs: 150,
      retry: { attempts: 2, delayMs: 5 },
      run: async (ctx) => {
        await sleep(2000, ctx.signal);
        return 'never';
      },
    },
    refused: {
      ...short,
      retry: { attempts: 5 },
      run: () => {
        throw new NonRetryableError('no retry for this');
      },
    },
    skipped: { ...short, needs: ['refused'], run: () => 'never' },
    regular: { needs: ['flaky'], run: (ctx) => `regular after ${String(ctx.results.flaky)}` },
    last: { ...short, needs: ['regular', 'slow'], when: 'all-done', run: () => 'done' },
  },
});

let markBusyStarted!: () => void;
const busyStarted = new Promise<void>((resolve) => {
  markBusyStarted = resolve;
});

const cancellable = defineFlow({
  name: 'short-cancel',
  steps: {
    first: { ...short, run: () => 1 },
    busy: {
      ...short,
      needs: ['first'],
      run: async (ctx) => {
        markBusyStarted();
        await sleep(1500, ctx.signal);
        return 'busy done';
      },
    },
    after: {
      needs: ['busy'],
      run: async (ctx) => {
        await sleep(3000, ctx.signal);
        return 'late';
      },
    },
  },
});

describeTemporal('short steps as local activities', () => {
  const taskQueue = uniqueQueue('local');
  let worker: CascadenceWorker;
  let backend: TemporalBackend;

  beforeAll(async () => {
    worker = await startWorker({ taskQueue, tasks: [mixed, cancellable], logger: silentLogger });
    backend = new TemporalBackend({ address: serverAddress(), taskQueue });
  });
  afterAll(async () => {
    await backend?.close();
    await worker?.shutdown();
  });

  async function eventTypes(workflowId: string): Promise<string[]> {
    const history = await (await backend.client()).workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).map((e) => String(e.eventType));
  }

  it('give the same RunResult as the engine: retries, timeouts, non-retryable errors, skips', async () => {
    const local = await new Engine({ logger: silentLogger }).run(mixed, 1);
    const handle = await backend.start(mixed, 1);
    const remote = await handle.result();
    expect(comparable(remote)).toEqual(comparable(local));
    expect(remote.steps.flaky).toMatchObject({ status: 'succeeded', output: 20, attempts: 3 });
    expect(remote.steps.slow).toMatchObject({ status: 'failed', attempts: 2 });
    expect(CascadenceError.isInstance(remote.steps.slow?.error, 'CASCADENCE_TIMEOUT')).toBe(true);
    expect(remote.steps.refused).toMatchObject({ status: 'failed', attempts: 1 });
    expect(remote.steps.skipped?.status).toBe('skipped');

    // Only `regular` (no timeout) went through the server as an activity task; the rest are markers.
    const types = await eventTypes(handle.workflowId);
    const ACTIVITY_TASK_SCHEDULED = '10';
    const MARKER_RECORDED = '25';
    expect(types.filter((t) => t === ACTIVITY_TASK_SCHEDULED)).toHaveLength(1);
    // Local activity results are markers (plus the patch marker): at least a, flaky, last and the patch.
    expect(types.filter((t) => t === MARKER_RECORDED).length).toBeGreaterThanOrEqual(4);
  });

  it('localStepMaxTimeoutMs: 0 runs every step as a regular activity', async () => {
    const regular = new TemporalBackend({ address: serverAddress(), taskQueue, localStepMaxTimeoutMs: 0 });
    try {
      const handle = await regular.start(mixed, 1);
      expect(comparable(await handle.result())).toEqual(comparable(await new Engine({ logger: silentLogger }).run(mixed, 1)));
      const types = await eventTypes(handle.workflowId);
      expect(types.filter((t) => t === '25')).toHaveLength(0); // no markers
      expect(types.filter((t) => t === '10')).toHaveLength(6); // one activity task per step that ran (retries included), `skipped` never ran
    } finally {
      await regular.close();
    }
  });

  // A workflow running a local activity sees a cancel request when the activity ends (or at the
  // workflow task's heartbeat, ~8 s): the run ends cancelled after the short step, and the
  // (regular) step after it is cancelled.
  it('a cancel request while a short step runs cancels the run once the step ends', async () => {
    const handle = await backend.start(cancellable);
    // The worker runs in this process: the step itself says when it has started. (A state query
    // would not do: it is answered only when the local activity ends.)
    await busyStarted;
    await handle.cancel(new Error('stop now'));
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    expect(result.steps.first?.status).toBe('succeeded');
    expect(['succeeded', 'cancelled']).toContain(result.steps.busy?.status);
    expect(result.steps.after?.status).toBe('cancelled');
    expect(result.error?.message).toContain('stop now');
  });
});
