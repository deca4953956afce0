import { CascadenceError, defineFlow, Engine, ErrorCode, silentLogger, type TaskContext } from '../src/index';

// `ctx.signal` is made when first read. An attempt that timed out or was cancelled before its code
// read it must still see it aborted: code that checks `ctx.signal.aborted` after an await (to stop
// a loop, to skip a write) has to stop whether or not it looked at the signal earlier.
const engine = () => new Engine({ logger: silentLogger });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ctx.signal read after the attempt was aborted', () => {
  it("a step's attempt that timed out before reading it sees it aborted with the timeout; its retry's is live", async () => {
    const seen = new Map<number, AbortSignal>();
    const done: Array<() => void> = [];
    const flow = defineFlow({
      name: 'late-signal',
      steps: {
        a: {
          timeoutMs: 30,
          retry: { attempts: 2, backoff: 'fixed', delayMs: 1 },
          run: async (ctx: TaskContext) => {
            if (ctx.attempt === 1) {
              await sleep(80);
              seen.set(1, ctx.signal);
              done.forEach((resolve) => resolve());
              return 'late';
            }
            seen.set(2, ctx.signal);
            return 'second';
          },
        },
      },
    });
    const result = await engine().run(flow);
    expect(result.steps.a).toMatchObject({ status: 'succeeded', output: 'second', attempts: 2 });
    if (!seen.has(1)) await new Promise<void>((resolve) => done.push(resolve));
    const first = seen.get(1) as AbortSignal;
    expect(first.aborted).toBe(true);
    expect(CascadenceError.isInstance(first.reason, ErrorCode.TIMEOUT)).toBe(true);
    expect((first.reason as Error).message).toBe('step "a" of flow "late-signal" timed out after 30 ms');
    expect(seen.get(2)?.aborted).toBe(false);
  });

  it("a step's attempt cancelled with its run before reading it sees it aborted with the cancellation", async () => {
    let late: AbortSignal | undefined;
    const controller = new AbortController();
    const flow = defineFlow({
      name: 'late-cancel',
      steps: {
        a: {
          run: async (ctx: TaskContext) => {
            await sleep(60);
            late = ctx.signal;
          },
        },
      },
    });
    const running = engine().run(flow, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop now')), 10);
    expect((await running).status).toBe('cancelled');
    await sleep(80);
    expect(late?.aborted).toBe(true);
    expect(CascadenceError.isInstance(late?.reason, ErrorCode.CANCELLED)).toBe(true);
  });

  it("a map item's attempt that timed out before reading it sees it aborted with the timeout", async () => {
    const seen: AbortSignal[] = [];
    let ended: () => void = () => undefined;
    const read = new Promise<void>((resolve) => (ended = resolve));
    const flow = defineFlow({
      name: 'late-item-signal',
      steps: {
        each: {
          map: () => [0, 1],
          timeoutMs: 30,
          onItemFailure: 'settle',
          run: async (ctx: TaskContext, k: number) => {
            if (k === 1) return 'one';
            await sleep(80);
            seen.push(ctx.signal);
            ended();
            return 'late';
          },
        },
      },
    });
    const result = await engine().run(flow);
    expect(result.steps.each?.status).toBe('failed');
    await read;
    expect(seen[0]?.aborted).toBe(true);
    expect(CascadenceError.isInstance(seen[0]?.reason, ErrorCode.TIMEOUT)).toBe(true);
  });
});
