/**
 * Map steps over lists longer than one batch (map-batches.ts) on the real dev server: items run in
 * child workflows of `mapBatchItems` items, and the RunResult is the local engine's — outputs in
 * item order, per-item retries, skips and failures, fail-fast, maps inside nested flows, and a
 * 10,000-item map with the default batch size (2,000).
 */
import { CascadenceError, ErrorCode, Registry, defineFlow, defineTask } from '@cascadence/core';
import type { temporal } from '@temporalio/proto';
import { describeTemporal, useBothBackends } from './helpers';

const tries = new Map<string, number>();
const numbers = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

const settled = defineFlow({
  name: 'batch-settled',
  steps: {
    list: { run: () => ({ page: { ids: numbers(23) } }), retry: { attempts: 1 } },
    other: { run: () => 100 },
    each: {
      needs: ['list', 'other'],
      map: 'list.page.ids',
      concurrency: 3,
      retry: { attempts: 2, delayMs: 5 },
      run: (ctx, n: number) => {
        const key = `${ctx.runId}/${n}`;
        const t = (tries.get(key) ?? 0) + 1;
        tries.set(key, t);
        if (n === 5 && t === 1) throw new Error('flaky once');
        if (n % 9 === 7) throw new Error(`item ${n} is broken`);
        if (n % 4 === 3) return ctx.skip(`skip ${n}`);
        return (ctx.results.other as number) + n * 1000;
      },
    },
    after: { needs: ['each'], when: 'all-done', run: () => 'after' },
  },
});

const fastFailing = defineFlow({
  name: 'batch-fail-fast',
  steps: {
    list: { run: () => numbers(20) },
    each: {
      needs: ['list'],
      map: 'list',
      onItemFailure: 'fail-fast',
      concurrency: 1,
      run: (_ctx: unknown, n: number) => {
        if (n === 6) throw new Error('six');
        return n;
      },
    },
  },
} as never);

const innerMap = defineFlow({
  name: 'batch-inner',
  steps: {
    list: { run: (_ctx, input: { n: number }) => numbers(input.n) },
    each: { needs: ['list'], map: 'list', run: (_ctx, n: number) => n * 2 },
    total: { needs: ['each'], run: (ctx) => (ctx.results.each as number[]).reduce((a, b) => a + b, 0) },
  },
});
const outerMap = defineFlow({
  name: 'batch-outer',
  steps: { inner: { task: innerMap, with: { n: 11 } } },
});

const big = defineFlow({
  name: 'batch-10000',
  steps: {
    list: { run: () => numbers(10_000) },
    each: { needs: ['list'], map: 'list', task: defineTask({ name: 'batch-double', run: (_ctx, n: number) => n * 2 }) },
    sum: { needs: ['each'], run: (ctx) => (ctx.results.each as number[]).reduce((a, b) => a + b, 0) },
  },
});

// `map: (ctx: Ctx) => items`: the function runs on the worker (an activity), the list is mapped like a step id.
type Ctx = { results: Record<string, unknown> };
const byFunction = defineFlow({
  name: 'batch-map-function',
  steps: {
    list: { run: () => ({ rows: numbers(14).map((n) => ({ n, keep: n % 3 !== 0 })) }) },
    base: { run: () => 7 },
    kept: {
      needs: ['list', 'base'],
      map: (ctx: Ctx) =>
        (ctx.results.list as { rows: Array<{ n: number; keep: boolean }> }).rows.filter((row) => row.keep).map((row) => row.n),
      run: (ctx: Ctx, n: number) => n * 10 + (ctx.results.base as number),
    },
    few: {
      needs: ['list'],
      map: (ctx: Ctx) => (ctx.results.list as { rows: unknown[] }).rows.slice(0, 2),
      run: (_ctx: unknown, row: { n: number }) => row.n,
    },
    notArray: { needs: ['list'], map: () => 'nope' as never, run: (_ctx: unknown, n: unknown) => n },
    throws: {
      needs: ['list'],
      map: () => {
        throw new Error('no items today');
      },
      run: (_ctx: unknown, n: unknown) => n,
    },
  },
} as never);

const registry = new Registry().add(settled).add(fastFailing).add(innerMap).add(outerMap).add(big).add(byFunction);

async function childWorkflows(env: ReturnType<typeof useBothBackends>, workflowId: string): Promise<number> {
  const history: temporal.api.history.v1.IHistory = await (await env.backend.client()).workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes != null).length;
}

describeTemporal('map steps in batches (child workflows)', () => {
  const env = useBothBackends('map-batches', registry, { mapBatchItems: 4 });
  const { both } = env;

  it('retries, skips and failures of items over 6 batches: the local RunResult, item indices of the whole list', async () => {
    const { remote } = await both(settled);
    expect(remote.status).toBe('failed');
    expect(CascadenceError.isInstance(remote.steps.each?.error, ErrorCode.MAP_ITEMS_FAILED)).toBe(true);
    expect(remote.steps.each?.error?.message).toBe(
      'step "each" of flow "batch-settled": 2 of 23 items failed; first, item 7: item 7 is broken',
    );
    expect(remote.steps.each?.items?.[22]).toMatchObject({ status: 'succeeded', output: 100 + 22_000 });
    expect(remote.steps.each?.items?.[5]).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(remote.steps.after?.output).toBe('after');
    expect(await childWorkflows(env, `cascadence-batch-settled-${remote.runId}`)).toBe(6);
  }, 120_000);

  it('fail-fast stops the batches not started; their items end cancelled', async () => {
    const { remote } = await both(fastFailing);
    expect(remote.steps.each?.error?.message).toBe(
      'step "each" of flow "batch-fail-fast": item 6 failed (onItemFailure: fail-fast; the other items were cancelled): six',
    );
    expect(remote.steps.each?.items?.map((item) => item.status).slice(4, 10)).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  }, 120_000);

  it('map functions run on the worker: the same items, outputs and errors as local, batched when long', async () => {
    const { remote } = await both(byFunction);
    expect(remote.steps.kept?.output).toEqual([17, 27, 47, 57, 77, 87, 107, 117, 137]);
    expect(remote.steps.few?.output).toEqual([0, 1]);
    expect(remote.steps.notArray?.error?.message).toBe(
      'step "notArray" of flow "batch-map-function": cannot map over the map function: expected an array, got a string',
    );
    expect(CascadenceError.isInstance(remote.steps.notArray?.error, ErrorCode.INVALID_MAP_INPUT)).toBe(true);
    expect(remote.steps.throws?.status).toBe('failed');
    expect(await childWorkflows(env, `cascadence-batch-map-function-${remote.runId}`)).toBe(3);
  }, 120_000);

  it('a map inside a nested flow batches too (its steps resolve at the nested path)', async () => {
    const { remote } = await both(outerMap);
    expect(remote.status).toBe('succeeded');
    expect(remote.steps.inner?.output).toEqual({ total: 110 });
  }, 120_000);
});

describeTemporal('a 10,000-item map on Temporal', () => {
  // Heartbeats at the default period: under load a 5 s timeout can retry an item, and items' attempts are compared.
  const env = useBothBackends('map-10000', registry, { heartbeatTimeoutMs: 30_000 });

  it('runs in 5 child workflows of 2,000 items and gives the local RunResult', async () => {
    const { remote } = await env.both(big);
    expect(remote.status).toBe('succeeded');
    expect(remote.steps.sum?.output).toBe(10_000 * 9_999);
    expect((remote.steps.each?.output as number[])[9_999]).toBe(19_998);
    expect(await childWorkflows(env, `cascadence-batch-10000-${remote.runId}`)).toBe(5);
  }, 600_000);
});
