// Issue 19: a step's skip message (ctx.skip(reason)) and a map step's items (status, attempts,
// error, output; capped) are kept in history, on SQLite and on a real PostgreSQL server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFlow, Engine, LocalBackend, silentLogger } from '@cascadence/core';
import { MAX_ITEM_VALUE_BYTES, MAX_RECORDED_ITEMS, openHistory, type History, type HistoryOptions } from '../src';
import { describeOnPostgres } from './postgres-server';

function describeStepDetails(fresh: () => Promise<HistoryOptions>): void {
  let history: History | undefined;
  afterEach(async () => {
    await history?.close();
    history = undefined;
  });

  async function record(flow: Parameters<Engine['run']>[0]) {
    const h = (history = await openHistory({ ...(await fresh()), logger: silentLogger }));
    const engine = new Engine({ logger: silentLogger });
    h.record(new LocalBackend(engine));
    const result = await engine.run(flow);
    await h.flush();
    return { result, steps: Object.fromEntries((await h.steps(result.runId)).map((s) => [s.step, s])) };
  }

  it('keeps the message a step gave to ctx.skip, and none for a step skipped by its rule', async () => {
    const { steps } = await record(
      defineFlow({
        name: 'skipper',
        steps: {
          check: { run: (ctx) => ctx.skip('nothing new since 2026-12-01 \u001b[31m') },
          after: { needs: ['check'], run: () => 1 },
        },
      }),
    );
    expect(steps.check).toMatchObject({ status: 'skipped', skipReason: 'self', skipMessage: 'nothing new since 2026-12-01 \u001b[31m' });
    expect(steps.after).toMatchObject({ status: 'skipped', skipReason: 'trigger-rule' });
    expect(steps.after?.skipMessage).toBeUndefined();
  });

  it("keeps a map step's items: status, attempts, error, output, skip message, and counts", async () => {
    const tries = new Map<number, number>();
    const { steps } = await record(
      defineFlow({
        name: 'mapper',
        steps: {
          list: { run: () => [1, 2, 3, 4] },
          each: {
            needs: ['list'],
            map: 'list',
            retry: { attempts: 2, delayMs: 1 },
            run: (ctx, n: number) => {
              tries.set(n, (tries.get(n) ?? 0) + 1);
              if (n === 2 && tries.get(n) === 1) throw new Error('flaky once');
              if (n === 3) return ctx.skip(`item ${n} not needed`);
              if (n === 4) throw new Error('item 4 broke');
              return n * 10;
            },
          },
        },
      }),
    );
    const items = steps.each?.items;
    expect(items).toMatchObject({ total: 4, counts: { succeeded: 2, skipped: 1, failed: 1 } });
    expect(items?.list.map((i) => [i.index, i.status, i.attempts])).toEqual([
      [0, 'succeeded', 1],
      [1, 'succeeded', 2],
      [2, 'skipped', 1],
      [3, 'failed', 2],
    ]);
    expect(items?.list[0]?.output).toEqual({ state: 'ok', json: '10' });
    expect(items?.list[2]?.skipMessage).toBe('item 3 not needed');
    expect(items?.list[3]?.error?.message).toContain('item 4 broke');
    expect(steps.list?.items).toBeUndefined();
  });

  it('keeps at most MAX_RECORDED_ITEMS items one by one (failures first), counts over all, item values capped', async () => {
    const n = 1000;
    const { steps } = await record(
      defineFlow({
        name: 'big-map',
        steps: {
          list: { run: () => Array.from({ length: n }, (_, i) => i) },
          each: {
            needs: ['list'],
            map: 'list',
            run: (_ctx, i: number) => {
              if (i % 100 === 50) throw new Error(`item ${i} broke`);
              return i === 0 ? 'x'.repeat(10_000) : i;
            },
          },
        },
      }),
    );
    const items = steps.each?.items;
    expect(items?.total).toBe(n);
    expect(items?.counts).toEqual({ succeeded: n - 10, failed: 10 });
    expect(items?.list).toHaveLength(MAX_RECORDED_ITEMS);
    // Every failed item is kept, then the first items; in item order.
    expect(items?.list.filter((i) => i.status === 'failed').map((i) => i.index)).toEqual([50, 150, 250, 350, 450, 550, 650, 750, 850, 950]);
    expect(items?.list.map((i) => i.index)).toEqual([...items!.list.map((i) => i.index)].sort((a, b) => a - b));
    expect(items?.list[0]).toMatchObject({ index: 0, output: { state: 'truncated', bytes: 10_002 } });
    expect(Buffer.byteLength(items?.list[0]?.output.json ?? '')).toBeLessThanOrEqual(MAX_ITEM_VALUE_BYTES);
  });
}

describe('step details in history on SQLite', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  describeStepDetails(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-history-details-'));
    dirs.push(dir);
    return { path: join(dir, 'history.db') };
  });
});

describeOnPostgres('step details in history on PostgreSQL', 'details', describeStepDetails);
