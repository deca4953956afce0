import {
  CascadenceError,
  defineFlow,
  defineProcessor,
  defineTask,
  Engine,
  ErrorCode,
  Registry,
  silentLogger,
  type EngineEvent,
  type TaskContext,
} from '../src/index';
import { flowFromSpec } from '../src/flow-spec';

const engine = (concurrency?: number) => new Engine({ logger: silentLogger, ...(concurrency === undefined ? {} : { concurrency }) });

describe('map: a step run once per item of a list made at run time', () => {
  it('maps a run function over a step output; the output is an array in item order; per-item results', async () => {
    const flow = defineFlow({
      name: 'squares',
      steps: {
        list: { run: () => [3, 1, 2] },
        // Later items end first: the output keeps item order anyway.
        each: {
          needs: ['list'],
          map: 'list',
          run: async (_ctx, n: number) => {
            await new Promise((r) => setTimeout(r, n * 5));
            return n * n;
          },
        },
        sum: { needs: ['each'], run: (ctx) => (ctx.results.each as number[]).reduce((a, b) => a + b, 0) },
      },
    });
    const result = await engine().run(flow);
    expect(result.status).toBe('succeeded');
    expect(result.steps.each?.output).toEqual([9, 1, 4]);
    expect(result.steps.sum?.output).toBe(14);
    expect(result.steps.each?.items).toEqual([
      { status: 'succeeded', attempts: 1, output: 9, error: undefined },
      { status: 'succeeded', attempts: 1, output: 1, error: undefined },
      { status: 'succeeded', attempts: 1, output: 4, error: undefined },
    ]);
  });

  it('key paths and functions select the list; tasks, processors (items merged over with) and nested flows can be mapped', async () => {
    const double = defineTask({ name: 'double', run: (_ctx, n: number) => n * 2 });
    const greet = defineProcessor<{ greeting: string; name: string }, string>({
      name: 'greet',
      options: { greeting: { type: 'string', required: true }, name: { type: 'string', required: true } },
      run: (_ctx, o) => `${o.greeting}, ${o.name}`,
    });
    const inner = defineFlow({ name: 'inner', steps: { plus: { run: (_ctx, n: number) => n + 100 } }, output: (r) => r.plus });
    const flow = defineFlow({
      name: 'many',
      steps: {
        list: { run: () => ({ page: { ids: [1, 2] }, people: [{ name: 'Ada' }, { name: 'Lin' }] }) },
        viaTask: { needs: ['list'], map: 'list.page.ids', task: double },
        viaFn: {
          needs: ['list'],
          map: (ctx) => (ctx.results.list as { page: { ids: number[] } }).page.ids.map((id) => id * 10),
          run: (_ctx, n: number) => n + 1,
        },
        viaProcessor: { needs: ['list'], map: 'list.people', uses: 'greet', with: { greeting: 'Hi' } },
        viaFlow: { needs: ['list'], map: 'list.page.ids', task: inner },
      },
    });
    const result = await new Engine({ logger: silentLogger, resolver: new Registry().addProcessor(greet) }).run(flow);
    expect(result.steps.viaTask?.output).toEqual([2, 4]);
    expect(result.steps.viaFn?.output).toEqual([11, 21]);
    expect(result.steps.viaProcessor?.output).toEqual(['Hi, Ada', 'Hi, Lin']);
    expect(result.steps.viaFlow?.output).toEqual([101, 102]);
  });

  it('an empty list gives an empty array; synchronous items run in runSync too', () => {
    const flow = defineFlow({
      name: 'sync-map',
      steps: {
        list: { run: () => [] as number[] },
        each: { needs: ['list'], map: 'list', run: (_ctx, n: number) => n },
        more: { needs: ['list'], map: () => [1, 2], run: (_ctx, n: number) => -n },
      },
    });
    const result = engine().runSync(flow);
    expect(result.steps.each).toMatchObject({ status: 'succeeded', output: [], items: [] });
    expect(result.steps.more?.output).toEqual([-1, -2]);
  });

  it('a non-array value (or a missing key) is a coded error naming the step and the path', async () => {
    const flow = defineFlow({
      name: 'bad-map',
      steps: {
        list: { run: () => ({ items: 'nope' }) },
        each: { needs: ['list'], map: 'list.items', run: (_ctx, n: unknown) => n },
        deeper: { needs: ['list'], map: 'list.items.x.y', run: (_ctx, n: unknown) => n },
      },
    });
    const result = await engine().run(flow);
    const each = result.steps.each?.error;
    expect(CascadenceError.isInstance(each, ErrorCode.INVALID_MAP_INPUT)).toBe(true);
    expect(each?.message).toBe('step "each" of flow "bad-map": cannot map over "list.items": expected an array, got a string');
    expect(result.steps.each?.attempts).toBe(1);
    expect(result.steps.deeper?.error?.message).toBe(
      'step "deeper" of flow "bad-map": cannot map over "list.items.x.y": a string at "list.items" has no key "x"',
    );
  });

  it('retries apply per item; settle (default) lets every item end, then fails the step with the first failed item as cause', async () => {
    const tries = new Map<number, number>();
    const flow = defineFlow({
      name: 'flaky-items',
      steps: {
        each: {
          map: () => [0, 1, 2, 3],
          retry: { attempts: 2, delayMs: 0 },
          run: (_ctx, n: number) => {
            const t = (tries.get(n) ?? 0) + 1;
            tries.set(n, t);
            if (n === 1 && t === 1) throw new Error('flaky once');
            if (n === 2 || n === 3) throw new Error(`item ${n} is broken`);
            return n;
          },
        },
      },
    });
    const result = await engine().run(flow);
    const step = result.steps.each!;
    expect(step.status).toBe('failed');
    expect(step.attempts).toBe(1);
    expect(CascadenceError.isInstance(step.error, ErrorCode.MAP_ITEMS_FAILED)).toBe(true);
    expect(step.error?.message).toBe('step "each" of flow "flaky-items": 2 of 4 items failed; first, item 2: item 2 is broken');
    expect((step.error as Error & { cause?: Error }).cause?.message).toBe('item 2 is broken');
    expect(step.items?.map((item) => [item.status, item.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 2],
      ['failed', 2],
      ['failed', 2],
    ]);
  });

  it('fail-fast cancels running items and starts no more; items may skip themselves', async () => {
    const aborted: number[] = [];
    const flow = defineFlow({
      name: 'ff-items',
      steps: {
        each: {
          map: () => [0, 1, 2, 3, 4, 5],
          concurrency: 2,
          onItemFailure: 'fail-fast',
          run: (ctx, n: number) => {
            if (n === 0)
              return new Promise((_, reject) =>
                ctx.signal.addEventListener('abort', () => {
                  aborted.push(n);
                  reject(ctx.signal.reason);
                }),
              );
            if (n === 1) return Promise.reject(new Error('one failed'));
            return n;
          },
        },
        skips: { map: () => ['a', 'b'], run: (ctx, s: string) => (s === 'a' ? ctx.skip('not a') : s) },
      },
    });
    const result = await engine().run(flow);
    const step = result.steps.each!;
    expect(step.error?.message).toBe(
      'step "each" of flow "ff-items": item 1 failed (onItemFailure: fail-fast; the other items were cancelled): one failed',
    );
    expect(aborted).toEqual([0]);
    expect(step.items?.map((item) => item.status)).toEqual(['cancelled', 'failed', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(step.items?.[2]?.attempts).toBe(0);
    expect(result.steps.skips).toMatchObject({ status: 'succeeded', output: [undefined, 'b'] });
    expect(result.steps.skips?.items?.[0]).toMatchObject({ status: 'skipped', skipMessage: 'not a' });
  });

  it('concurrency limits items at once; timeouts apply per item; step:item events report each item', async () => {
    let active = 0;
    let peak = 0;
    const events: EngineEvent[] = [];
    const e = engine();
    e.events.on('step:item', (event) => events.push(event));
    const flow = defineFlow({
      name: 'limited',
      steps: {
        each: {
          map: () => Array.from({ length: 20 }, (_, k) => k),
          concurrency: 3,
          timeoutMs: 1000,
          run: async (ctx, k: number) => {
            active++;
            peak = Math.max(peak, active);
            await new Promise((r) => setTimeout(r, 1));
            active--;
            if (k === 7) return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
            return k;
          },
        },
      },
    });
    const short = defineFlow({ name: 'limited', steps: { each: { ...flow.steps.each!, timeoutMs: 30 } } });
    const result = await e.run(short);
    expect(peak).toBe(3);
    expect(result.steps.each?.items?.[7]?.error?.message).toBe('step "each" of flow "limited", item 7 timed out after 30 ms');
    expect(CascadenceError.isInstance(result.steps.each?.items?.[7]?.error, ErrorCode.TIMEOUT)).toBe(true);
    expect(events).toHaveLength(20);
    expect(
      events
        .filter((event) => event.type === 'step:item' && event.status === 'failed')
        .map((event) => event.type === 'step:item' && event.item),
    ).toEqual([7]);
  });

  it('a timed-out attempt that settles late is ignored: its retry gives the output, and the lane limit holds', async () => {
    let active = 0;
    let peak = 0;
    const late: number[] = [];
    const flow = defineFlow({
      name: 'late',
      steps: {
        each: {
          map: () => [0, 1, 2, 3, 4, 5],
          concurrency: 2,
          timeoutMs: 120,
          retry: { attempts: 2, backoff: 'fixed', delayMs: 1 },
          // Never reads ctx.signal: nothing can abort it, so its first attempt resolves after the timeout.
          run: async (ctx, k: number) => {
            active++;
            peak = Math.max(peak, active);
            // Item 2: the first attempt times out at 120 ms and resolves at 150 ms, while its retry
            // (started at ~121 ms, 70 ms long) still runs.
            const slow = k === 2 && ctx.attempt === 1;
            await new Promise((r) => setTimeout(r, slow ? 150 : k === 2 ? 70 : 2));
            active--;
            if (slow) late.push(k);
            return `${k}:${ctx.attempt}`;
          },
        },
      },
    });
    const result = await engine().run(flow);
    expect(result.status).toBe('succeeded');
    expect(result.steps.each?.output).toEqual(['0:1', '1:1', '2:2', '3:1', '4:1', '5:1']);
    expect(result.steps.each?.items?.[2]).toMatchObject({ status: 'succeeded', attempts: 2, output: '2:2' });
    // The timed-out attempt kept running beside the two lanes (it cannot be stopped), no more.
    expect(peak).toBeLessThanOrEqual(3);
    expect(late).toEqual([2]);
  });

  it("each attempt's ctx.signal is its own: a timed-out attempt's is aborted, its retry's stays live, a ctx kept after its item ended still answers", async () => {
    const signals = new Map<number, AbortSignal>();
    let kept: TaskContext | undefined;
    const flow = defineFlow({
      name: 'signals-per-attempt',
      steps: {
        each: {
          map: () => [0, 1],
          timeoutMs: 40,
          retry: { attempts: 2, backoff: 'fixed', delayMs: 1 },
          run: async (ctx, k: number) => {
            if (k === 1) {
              kept = ctx; // its signal is read only after the run ended
              return 'one';
            }
            const signal = ctx.signal;
            signals.set(ctx.attempt, signal);
            if (ctx.attempt === 1) await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
            return `zero:${ctx.attempt}`;
          },
        },
      },
    });
    const result = await engine().run(flow);
    expect(result.steps.each?.output).toEqual(['zero:2', 'one']);
    const [first, second] = [signals.get(1), signals.get(2)];
    expect(first?.aborted).toBe(true);
    expect(CascadenceError.isInstance(first?.reason, ErrorCode.TIMEOUT)).toBe(true);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(second?.aborted).toBe(false);
    expect(kept?.attempt).toBe(1);
    expect(kept?.signal.aborted).toBe(false);
  });

  it('cancelling a run whose items never read ctx.signal marks them cancelled; their late results are ignored', async () => {
    const e = engine();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    let allStarted!: () => void;
    const running = new Promise<void>((r) => (allStarted = r));
    const flow = defineFlow({
      name: 'cancel-quiet',
      steps: {
        each: {
          map: () => [0, 1, 2, 3],
          concurrency: 2,
          run: async (_ctx, k: number) => {
            if (++started === 2) allStarted();
            await gate;
            return k;
          },
        },
      },
    });
    const pending = e.run(flow, undefined, { runId: 'cancel-quiet-run' });
    await running;
    e.cancel('cancel-quiet-run', 'stop');
    const result = await pending;
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(result.status).toBe('cancelled');
    expect(result.steps.each?.items?.map((item) => item.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(result.steps.each?.items?.map((item) => item.attempts)).toEqual([1, 1, 0, 0]);
    expect(started).toBe(2);
  });

  it('cancelling the run cancels the running items', async () => {
    const e = engine();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const seen: number[] = [];
    const flow = defineFlow({
      name: 'cancel-map',
      steps: {
        each: {
          map: () => [0, 1],
          run: (ctx, k: number) =>
            new Promise((_, reject) => {
              if (k === 1) started();
              ctx.signal.addEventListener('abort', () => {
                seen.push(k);
                reject(ctx.signal.reason);
              });
            }),
        },
      },
    });
    const pending = e.run(flow, undefined, { runId: 'cancel-map-run' });
    await running;
    e.cancel('cancel-map-run', 'stop');
    const result = await pending;
    expect(result.status).toBe('cancelled');
    expect(seen.sort()).toEqual([0, 1]);
  });

  it('definition errors: map source not in needs, with on a run step, bad concurrency or policy; YAML accepts map', () => {
    expect(() => defineFlow({ name: 'f', steps: { list: { run: () => [] }, each: { map: 'list', run: () => 1 } } })).toThrow(
      'flow "f", step "each": "map" reads step "list", which is not in "needs"; add it there',
    );
    expect(() => defineFlow({ name: 'f', steps: { each: { map: () => [], with: 1, run: () => 1 } } })).toThrow('takes no "with"');
    expect(() => defineFlow({ name: 'f', steps: { each: { map: () => [], concurrency: 0, run: () => 1 } } })).toThrow(
      '"concurrency" must be a whole number >= 1 (got 0)',
    );
    expect(() => defineFlow({ name: 'f', steps: { each: { concurrency: 2, run: () => 1 } } })).toThrow(
      '"concurrency" is only for a "map" step',
    );
    expect(() => defineFlow({ name: 'f', steps: { each: { map: () => [], onItemFailure: 'stop' as 'settle', run: () => 1 } } })).toThrow(
      '"onItemFailure" must be "settle" or "fail-fast"',
    );
    const yaml = flowFromSpec({
      name: 'y',
      steps: { list: { task: 't' }, each: { task: 't', needs: 'list', map: 'list.items', concurrency: 4, onItemFailure: 'fail-fast' } },
    });
    expect(yaml.steps.each).toMatchObject({ map: 'list.items', concurrency: 4, onItemFailure: 'fail-fast' });
  });
});
