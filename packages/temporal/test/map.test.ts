/**
 * `map` steps on Temporal (issue 19): one activity per item, inline in the workflow, beside the
 * local engine — the same RunResult (statuses, outputs, errors, attempts), and the items.
 */
import { CascadenceError, ErrorCode, Registry, defineFlow, defineProcessor, type RunResult } from '@cascadence/core';
import { comparable, describeTemporal, useBothBackends } from './helpers';

const tries = new Map<string, number>();
const label = defineProcessor<{ prefix: string; n: number }, string>({
  name: 'label',
  options: { prefix: { type: 'string', required: true }, n: { type: 'integer', required: true } },
  run: (_ctx, o) => `${o.prefix}${o.n}`,
});
const inner = defineFlow({ name: 'map-inner', steps: { plus: { run: (_ctx, n: number) => n + 100 } }, output: (r) => r.plus });

const fanOut = defineFlow({
  name: 'map-fan-out',
  steps: {
    list: { run: () => ({ ids: [1, 2, 3, 4, 5], none: [] as number[], opts: [{ n: 1 }, { n: 2 }], bad: 'x' }) },
    squares: { needs: ['list'], map: 'list.ids', concurrency: 2, run: async (_ctx, n: number) => n * n },
    empty: { needs: ['list'], map: 'list.none', run: (_ctx, n: number) => n },
    labels: { needs: ['list'], map: 'list.opts', uses: 'label', with: { prefix: '#' } },
    nested: { needs: ['list'], map: 'list.ids', task: inner },
    skips: { needs: ['list'], map: 'list.ids', run: (ctx, n: number) => (n % 2 === 0 ? ctx.skip('even') : n) },
    sum: { needs: ['squares'], run: (ctx) => (ctx.results.squares as number[]).reduce((a, b) => a + b, 0) },
    // Not a final step: JSON carries a skipped item's undefined as null into the flow's output on Temporal.
    afterSkips: { needs: ['skips'], run: () => 'ok' },
  },
});

const failing = defineFlow({
  name: 'map-failing',
  steps: {
    list: { run: () => ({ ids: [0, 1, 2, 3], bad: 'x' }) },
    flaky: {
      needs: ['list'],
      map: 'list.ids',
      retry: { attempts: 2, delayMs: 5 },
      run: (ctx, n: number) => {
        const key = `${ctx.runId}/${n}`;
        const t = (tries.get(key) ?? 0) + 1;
        tries.set(key, t);
        if (n === 1 && t === 1) throw new Error('flaky once');
        if (n >= 2) throw new Error(`item ${n} is broken`);
        return n;
      },
    },
    notArray: { needs: ['list'], map: 'list.bad', run: (_ctx, n: unknown) => n },
  },
});

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

// Item 0 fails at once while items 1 and 2 are still running; items 3-5 never start.
const failFast = defineFlow({
  name: 'map-fail-fast',
  steps: {
    list: { run: () => [0, 1, 2, 3, 4, 5] },
    each: {
      needs: ['list'],
      map: 'list',
      concurrency: 3,
      onItemFailure: 'fail-fast',
      run: async (ctx, n: number) => {
        if (n === 0) throw new Error('zero is broken');
        await pause(1500, ctx.signal);
        return n;
      },
    },
  },
});

let onItemsStarted: (() => void) | undefined;
let itemsStarted = 0;
// Cancelled from outside while items 0 and 1 run; items 2 and 3 never start.
const cancelledMap = defineFlow({
  name: 'map-cancelled',
  steps: {
    list: { run: () => [0, 1, 2, 3] },
    each: {
      needs: ['list'],
      map: 'list',
      concurrency: 2,
      run: async (ctx, n: number) => {
        if (++itemsStarted === 2) onItemsStarted?.();
        await pause(20_000, ctx.signal);
        return n;
      },
    },
  },
});

const registry = new Registry().addProcessor(label).add(inner).add(fanOut).add(failing).add(failFast).add(cancelledMap);

describeTemporal('map steps on Temporal match the local engine', () => {
  const env = useBothBackends('map', registry);
  const { both } = env;

  it('maps tasks, processors (items over with), nested flows; empty lists; skipped items; outputs in item order', async () => {
    const { local, remote } = await both(fanOut);
    expect(remote.status).toBe('succeeded');
    expect(remote.steps.squares?.output).toEqual([1, 4, 9, 16, 25]);
    expect(remote.steps.sum?.output).toBe(55);
    expect(remote.steps.empty?.output).toEqual([]);
    expect(remote.steps.labels?.output).toEqual(['#1', '#2']);
    expect(remote.steps.nested?.output).toEqual([101, 102, 103, 104, 105]);
    expect(remote.steps.skips?.items?.map((item) => item.status)).toEqual(['succeeded', 'skipped', 'succeeded', 'skipped', 'succeeded']);
    expect(remote.steps.skips?.items?.[1]).toMatchObject({ skipMessage: 'even' });
    expect(remote.steps.squares?.items?.map((item) => item.status)).toEqual(local.steps.squares?.items?.map((item) => item.status));
  });

  it('the worker reports each item as a step:item event (as the local engine does), not as step attempts', async () => {
    const seen: string[] = [];
    const onItem = (e: { step: string; item: number; status: string }) => {
      if (e.step === 'squares') seen.push(`${e.item}:${e.status}`);
    };
    const onStart = (e: { step: string }) => {
      if (e.step === 'squares') seen.push('step:start');
    };
    const offItem = env.worker.events.on('step:item', onItem);
    const offStart = env.worker.events.on('step:start', onStart);
    try {
      await env.backend.run(fanOut);
    } finally {
      offItem();
      offStart();
    }
    expect(seen.sort()).toEqual(['0:succeeded', '1:succeeded', '2:succeeded', '3:succeeded', '4:succeeded']);
  });

  it('per-item retries, settle policy, and a non-array list: the same coded errors as local', async () => {
    const { remote } = await both(failing);
    expect(CascadenceError.isInstance(remote.steps.flaky?.error, ErrorCode.MAP_ITEMS_FAILED)).toBe(true);
    expect(remote.steps.flaky?.error?.message).toBe(
      'step "flaky" of flow "map-failing": 2 of 4 items failed; first, item 2: item 2 is broken',
    );
    expect(remote.steps.flaky?.items?.map((item) => [item.status, item.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 2],
      ['failed', 2],
      ['failed', 2],
    ]);
    expect(CascadenceError.isInstance(remote.steps.notArray?.error, ErrorCode.INVALID_MAP_INPUT)).toBe(true);
    expect(remote.steps.notArray?.error?.message).toBe(
      'step "notArray" of flow "map-failing": cannot map over "list.bad": expected an array, got a string',
    );
  });

  it('fail-fast: the running items end cancelled with an error that says why, the rest cancelled without one (as local)', async () => {
    const { remote } = await both(failFast);
    expect(remote.steps.each?.items?.map((item) => [item.status, item.attempts])).toEqual([
      ['failed', 1],
      ['cancelled', 1],
      ['cancelled', 1],
      ['cancelled', 0],
      ['cancelled', 0],
      ['cancelled', 0],
    ]);
    expect(remote.steps.each?.items?.[1]?.error?.message).toBe(
      'step "each" of flow "map-fail-fast", item 1 was cancelled: fail-fast after item 0 failed',
    );
    expect(remote.steps.each?.items?.[3]?.error).toBeUndefined();
  });

  it('a run cancelled mid-map: every unfinished item ends cancelled (as local)', async () => {
    const results = [];
    for (const backendUnderTest of ['local', 'temporal'] as const) {
      const controller = new AbortController();
      itemsStarted = 0;
      onItemsStarted = () => setTimeout(() => controller.abort(new Error('operator said stop')), 100);
      results.push(
        backendUnderTest === 'local'
          ? await env.engine.run(cancelledMap, undefined, { signal: controller.signal })
          : await env.backend.run(cancelledMap, undefined, { signal: controller.signal }),
      );
    }
    onItemsStarted = undefined;
    const [local, remote] = results as [RunResult, RunResult];
    expect(comparable(remote)).toEqual(comparable(local));
    expect(remote.status).toBe('cancelled');
    expect(remote.steps.each?.items?.map((item) => [item.status, item.attempts])).toEqual([
      ['cancelled', 1],
      ['cancelled', 1],
      ['cancelled', 0],
      ['cancelled', 0],
    ]);
  });
});
