/**
 * The same flows as the core engine tests, run on a real core Engine and on Temporal (real dev
 * server, real worker): the RunResults must agree on statuses, outputs, errors and attempts.
 */
import {
  CancelledError,
  CascadenceError,
  ErrorCode,
  NonRetryableError,
  Registry,
  defineFlow,
  defineProcessor,
  defineTask,
  type EngineEvent,
  type Flow,
  type RunResult,
  type Runnable,
} from '@cascadence/core';
import { TemporalBackend } from '../src';
import { comparable, describeTemporal, serverAddress, useBothBackends } from './helpers';

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/** Calls per (run, step): lets a step fail on its first tries in every run. */
const calls = new Map<string, number>();
function callNo(ctx: { runId: string; stepId: string }): number {
  const key = `${ctx.runId}/${ctx.stepId}`;
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
}

class BadInput extends Error {
  override name = 'BadInput';
}

const double = defineTask({ name: 'double', run: (_ctx, n: number) => n * 2 });
const shout = defineProcessor<{ text: string; times: number }, string>({
  name: 'shout',
  options: { text: { type: 'string', required: true }, times: { type: 'integer', default: 2 } },
  run: (_ctx, options) => options.text.toUpperCase().repeat(options.times),
});

const diamond = defineFlow({
  name: 'diamond',
  steps: {
    a: { run: (_ctx, input: { n: number }) => ({ n: input.n + 1 }) },
    b: {
      needs: ['a'],
      run: async (ctx) => {
        await sleep(20);
        return (ctx.results.a as { n: number }).n * 2;
      },
    },
    c: { needs: ['a'], run: (ctx) => (ctx.results.a as { n: number }).n * 3 },
    d: {
      needs: ['b', 'c'],
      run: (ctx) => ({ sum: (ctx.results.b as number) + (ctx.results.c as number), seen: Object.keys(ctx.results).sort() }),
    },
  },
});

const boom = defineTask({
  name: 'boom',
  run: () => {
    throw new Error('boom');
  },
});
const branches = defineFlow({
  name: 'branches',
  steps: {
    bad: { task: boom },
    child: { needs: ['bad'], run: () => 'never' },
    grandchild: { needs: ['child'], run: () => 'never' },
    other: {
      run: async () => {
        await sleep(5);
        return 'ok';
      },
    },
    otherChild: { needs: ['other'], run: () => 'ok too' },
  },
});

const makeRules = (fail: boolean): Flow =>
  defineFlow({
    name: `rules-${fail}`,
    steps: {
      work: {
        run: () => {
          if (fail) throw new Error('work failed');
          return 'done';
        },
      },
      after: { needs: ['work'], run: () => 'after' },
      cleanup: { needs: ['after'], when: 'all-done', run: () => 'cleaned' },
      alert: { needs: ['after'], when: 'any-failed', run: () => 'alerted' },
    },
  });
const rulesFail = makeRules(true);
const rulesOk = makeRules(false);

const flaky = defineTask({
  name: 'flaky',
  retry: { attempts: 4, backoff: 'fixed', delayMs: 10 },
  run: (ctx) => {
    const n = callNo(ctx);
    if (n < 3) throw new Error(`fail ${n}`);
    return `ok after ${n}`;
  },
});
const hopeless = defineFlow({
  name: 'hopeless',
  steps: {
    s: {
      retry: { attempts: 3, delayMs: 10 },
      run: (ctx) => {
        throw new Error(`fail ${callNo(ctx)}`);
      },
    },
  },
});
const nonRetryable = defineFlow({
  name: 'non-retryable',
  steps: {
    byClass: {
      retry: { attempts: 5, delayMs: 10, nonRetryable: [BadInput] },
      run: () => {
        throw new BadInput('x');
      },
    },
    // Chained with all-done so that the run's error (the first failure) does not depend on timing.
    byName: {
      needs: ['byClass'],
      when: 'all-done',
      retry: { attempts: 5, delayMs: 10, nonRetryable: ['BadInput'] },
      run: () => {
        throw new BadInput('y');
      },
    },
    builtin: {
      needs: ['byName'],
      when: 'all-done',
      retry: { attempts: 5, delayMs: 10 },
      run: () => {
        throw new NonRetryableError('z');
      },
    },
  },
});

const timeoutAborts: unknown[] = [];
const slowpoke = defineFlow({
  name: 'slowpoke',
  steps: {
    slow: {
      timeoutMs: 400,
      run: async (ctx) => {
        ctx.signal.addEventListener('abort', () => timeoutAborts.push(ctx.signal.reason));
        // Ignores the signal on purpose: the backend must not wait for it.
        await new Promise((resolve) => setTimeout(resolve, 2500).unref());
      },
    },
    after: { needs: ['slow'], when: 'all-done', run: () => 'after the timeout' },
  },
});
const slowThenFast = defineFlow({
  name: 'slow-then-fast',
  steps: {
    s: {
      timeoutMs: 400,
      retry: { attempts: 3, backoff: 'fixed', delayMs: 10 },
      run: async (ctx) => {
        if (callNo(ctx) === 1) await sleep(2500, ctx.signal);
        return `attempt ${ctx.attempt}`;
      },
    },
  },
});

let onFirstStarted: (() => void) | undefined;
const cancelSeen: string[] = [];
const cancellable = defineFlow({
  name: 'cancellable',
  steps: {
    done: { run: () => 'before' },
    first: {
      needs: ['done'],
      run: async (ctx) => {
        onFirstStarted?.();
        try {
          await sleep(20_000, ctx.signal);
        } catch (error) {
          cancelSeen.push(ctx.runId);
          throw error;
        }
      },
    },
    next: { needs: ['first'], when: 'all-done', run: () => 'never' },
  },
});

const inner = defineFlow({
  name: 'inner',
  steps: { x: { run: (_c, n: number) => n + 1 }, y: { needs: ['x'], run: (ctx) => (ctx.results.x as number) * 10 } },
  output: (r) => r.y,
});
const outer = defineFlow({
  name: 'outer',
  steps: {
    prep: { run: () => 4 },
    sub: { task: inner, needs: ['prep'], with: 1 },
    last: { needs: ['sub', 'prep'], run: (ctx) => [ctx.results.sub, ctx.results.prep] },
  },
});
const innerBad = defineFlow({
  name: 'inner-bad',
  steps: {
    z: {
      run: () => {
        throw new Error('deep');
      },
    },
  },
});
const outerBad = defineFlow({
  name: 'outer-bad',
  steps: { sub: { task: innerBad }, after: { needs: ['sub'], when: 'any-failed', run: () => 'handled' } },
});

const innerFlaky = defineFlow({
  name: 'inner-flaky',
  steps: {
    z: {
      run: (ctx) => {
        const n = callNo(ctx);
        if (n === 1) throw new Error('first inner try');
        return n;
      },
    },
  },
});
const outerRetry = defineFlow({
  name: 'outer-retry',
  steps: { sub: { task: innerFlaky, retry: { attempts: 3, backoff: 'fixed', delayMs: 20 } } },
});

const named = defineFlow({
  name: 'named',
  steps: {
    twice: { task: 'double', with: 21 },
    loud: { uses: 'shout', with: { text: 'hi' } },
    both: { needs: ['twice', 'loud'], run: (ctx) => `${String(ctx.results.loud)}-${String(ctx.results.twice)}` },
  },
  output: (results, input: string) => ({ input, both: results.both, all: Object.keys(results).sort() }),
});

const weird = defineFlow({
  name: 'weird',
  steps: {
    s: {
      run: () => {
        throw { code: 42 };
      },
    },
    t: { needs: ['s'], when: 'all-done', run: async () => Promise.reject('nope') },
  },
});

const failFastSaw: boolean[] = [];
const ff = defineFlow({
  name: 'ff',
  steps: {
    bad: {
      run: async () => {
        await sleep(300);
        throw new Error('bad');
      },
    },
    slow: {
      run: async (ctx) => {
        try {
          await sleep(20_000, ctx.signal);
        } catch {
          failFastSaw.push(ctx.signal.aborted);
          throw new Error('aborted');
        }
      },
    },
    late: { needs: ['bad'], when: 'all-done', run: () => 'cleanup ran' },
    blocked: { needs: ['slow'], run: () => 'never' },
  },
});

const deadline = defineFlow({
  name: 'deadline',
  timeoutMs: 600,
  steps: {
    quick: { run: () => 'quick' },
    long: { needs: ['quick'], run: (ctx) => sleep(20_000, ctx.signal) },
    never: { needs: ['long'], run: () => 'never' },
  },
});

const registry = new Registry().add(double).addProcessor(shout);
const everything: Runnable[] = [
  diamond,
  branches,
  rulesFail,
  rulesOk,
  flaky,
  hopeless,
  nonRetryable,
  slowpoke,
  slowThenFast,
  cancellable,
  outer,
  outerBad,
  outerRetry,
  named,
  weird,
  ff,
  deadline,
  double,
];
for (const runnable of everything) if (!registry.has(runnable.name)) registry.add(runnable);

describeTemporal('TemporalBackend gives the same RunResult as the local engine', () => {
  const env = useBothBackends('parity', registry);
  const { both, engine, taskQueue } = env;

  it('diamond: a runs once, b and c see a, d sees both; default output = final steps', async () => {
    const { remote } = await both(diamond, { n: 1 });
    expect(remote.status).toBe('succeeded');
    expect(remote.output).toEqual({ d: { sum: 10, seen: ['b', 'c'] } });
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(remote.steps[id]?.attempts).toBe(1);
      expect(typeof remote.steps[id]?.startedAt).toBe('number');
      expect(typeof remote.steps[id]?.durationMs).toBe('number');
    }
    expect(remote.steps.d!.startedAt!).toBeGreaterThanOrEqual(remote.steps.b!.startedAt!);
  });

  it('a failed step skips its dependants transitively; independent branches complete', async () => {
    const { remote } = await both(branches);
    expect(remote.status).toBe('failed');
    expect(remote.error?.message).toBe('boom');
    expect(remote.steps.child).toMatchObject({ status: 'skipped', attempts: 0 });
    expect(remote.steps.otherChild).toMatchObject({ status: 'succeeded', output: 'ok too' });
  });

  it('all-done cleanup runs after failures; any-failed handlers only on failure', async () => {
    const failed = await both(rulesFail);
    expect(failed.remote.steps.cleanup).toMatchObject({ status: 'succeeded', output: 'cleaned' });
    expect(failed.remote.steps.alert).toMatchObject({ status: 'succeeded', output: 'alerted' });
    const ok = await both(rulesOk);
    expect(ok.remote.status).toBe('succeeded');
    expect(ok.remote.steps.alert?.status).toBe('skipped');
  });

  it('retries count attempts from Temporal activity attempts', async () => {
    const { remote } = await both(flaky);
    expect(remote.steps.flaky).toMatchObject({ status: 'succeeded', attempts: 3, output: 'ok after 3' });
    const gaveUp = await both(hopeless);
    expect(gaveUp.remote.steps.s).toMatchObject({ status: 'failed', attempts: 3 });
    expect(gaveUp.remote.steps.s?.error?.message).toBe('fail 3');
  });

  it('non-retryable errors (by class, by name, NonRetryableError) stop after one attempt', async () => {
    const { remote } = await both(nonRetryable);
    for (const id of ['byClass', 'byName', 'builtin']) expect(remote.steps[id]?.attempts).toBe(1);
    expect(CascadenceError.isInstance(remote.steps.builtin?.error, ErrorCode.NON_RETRYABLE)).toBe(true);
  });

  it('timeoutMs becomes startToCloseTimeout: the step fails with the engine timeout error and its signal aborts', async () => {
    timeoutAborts.length = 0;
    const { remote } = await both(slowpoke);
    expect(remote.steps.slow?.error?.message).toBe('step "slow" of flow "slowpoke" timed out after 400 ms');
    expect(CascadenceError.isInstance(remote.steps.slow?.error, ErrorCode.TIMEOUT)).toBe(true);
    expect(remote.steps.after).toMatchObject({ status: 'succeeded', output: 'after the timeout' });
    // The local run and the worker's attempt both saw ctx.signal abort with a TimeoutError.
    await waitFor(() => timeoutAborts.length >= 2);
    for (const reason of timeoutAborts) expect(CascadenceError.isInstance(reason, ErrorCode.TIMEOUT)).toBe(true);
    const retried = await both(slowThenFast);
    expect(retried.remote.steps.s).toMatchObject({ status: 'succeeded', attempts: 2, output: 'attempt 2' });
  });

  it('cancellation stops the run, aborts the running step and starts nothing new', async () => {
    const results: RunResult[] = [];
    for (const backendUnderTest of ['local', 'temporal'] as const) {
      const controller = new AbortController();
      onFirstStarted = () => setTimeout(() => controller.abort(new Error('operator said stop')), 50);
      results.push(
        backendUnderTest === 'local'
          ? await engine.run(cancellable, undefined, { signal: controller.signal })
          : await env.backend.run(cancellable, undefined, { signal: controller.signal }),
      );
    }
    onFirstStarted = undefined;
    const [local, remote] = results as [RunResult, RunResult];
    expect(comparable(remote)).toEqual(comparable(local));
    expect(remote.status).toBe('cancelled');
    expect(CascadenceError.isInstance(remote.error, ErrorCode.CANCELLED)).toBe(true);
    expect(remote.error?.message).toBe('flow "cancellable" was cancelled: operator said stop');
    expect(remote.steps).toMatchObject({
      done: { status: 'succeeded', output: 'before' },
      first: { status: 'cancelled' },
      next: { status: 'cancelled', attempts: 0 },
    });
    // The worker's step saw its signal abort (cancellation rides on heartbeats).
    await waitFor(() => cancelSeen.includes(remote.runId));
    expect(local.error).toBeInstanceOf(CancelledError);
  });

  it('nested flows run inline, with their output function computed on the worker', async () => {
    const { remote } = await both(outer);
    expect(remote.steps.sub?.output).toBe(20);
    expect(remote.steps.last?.output).toEqual([20, 4]);
    const bad = await both(outerBad);
    expect(bad.remote.steps.sub?.error?.message).toBe('flow "inner-bad" failed (failed steps: z): deep');
    expect(((bad.remote.steps.sub?.error as Error & { cause?: Error }).cause as Error).message).toBe('deep');
  });

  it('a nested flow step is retried as a whole by its step retry policy', async () => {
    const { remote } = await both(outerRetry);
    expect(remote.steps.sub).toMatchObject({ status: 'succeeded', attempts: 2, output: { z: 2 } });
  });

  it('named tasks, processors (validated options) and a custom output function', async () => {
    const { remote } = await both(named, 'in');
    expect(remote.output).toEqual({ input: 'in', both: 'HIHI-42', all: ['both', 'loud', 'twice'] });
    expect(remote.steps.twice?.output).toBe(42);
  });

  it('a lone task runs as a one-step graph', async () => {
    const { remote } = await both(double, 5);
    expect(remote.output).toBe(10);
    expect(Object.keys(remote.steps)).toEqual(['double']);
  });

  it('thrown non-Error values are wrapped, never lost', async () => {
    const { remote } = await both(weird);
    expect(remote.steps.s?.error?.message).toContain('{"code":42}');
    expect(CascadenceError.isInstance(remote.steps.t?.error, ErrorCode.NON_ERROR_THROWN)).toBe(true);
  });

  it('failFast cancels running steps and skips plain dependants', async () => {
    failFastSaw.length = 0;
    const { remote } = await both(ff, undefined, { failFast: true });
    expect(remote.steps.slow?.status).toBe('cancelled');
    expect(remote.steps.slow?.error?.message).toContain('fail-fast');
    expect(remote.steps.late).toMatchObject({ status: 'succeeded', output: 'cleanup ran' });
  });

  it("a flow's own timeoutMs bounds the whole run", async () => {
    const { remote } = await both(deadline);
    expect(remote.status).toBe('failed');
    expect(remote.error?.message).toBe('flow "deadline" timed out after 600 ms');
    expect(remote.steps.long?.error?.message).toBe('step "long" of flow "deadline" was cancelled: flow "deadline" timed out after 600 ms');
  });

  it('emits run:start / run:end on backend.events and live step events on worker.events', async () => {
    const seen: EngineEvent[] = [];
    const stepEvents: EngineEvent[] = [];
    const offBackend = env.backend.events.onAny((event) => seen.push(event));
    const offWorker = env.worker.events.onAny((event) => stepEvents.push(event));
    const result = await env.backend.run(flaky);
    offBackend();
    offWorker();
    expect(seen.map((e) => e.type)).toEqual(['run:start', 'run:end']);
    expect(seen[1]).toMatchObject({ task: 'flaky', status: 'succeeded', runId: result.runId });
    const mine = stepEvents.filter((e) => 'runId' in e && e.runId === result.runId).map((e) => e.type);
    expect(mine).toEqual(['step:start', 'step:retry', 'step:start', 'step:retry', 'step:start', 'step:success']);
  });

  it('an already aborted signal runs nothing', async () => {
    const { remote } = await both(diamond, { n: 1 }, { signal: AbortSignal.abort(new Error('too late')) });
    expect(remote.status).toBe('cancelled');
    expect(remote.steps.a).toMatchObject({ status: 'cancelled', attempts: 0 });
  });

  it('start() returns a handle: ids, describe() with live progress, result()', async () => {
    const handle = await env.backend.start(diamond, { n: 2 }, { runId: 'fixed-run-id' });
    expect(handle.runId).toBe('fixed-run-id');
    expect(handle.workflowId).toBe('cascadence-diamond-fixed-run-id');
    const description = await handle.describe();
    expect(description.workflowId).toBe(handle.workflowId);
    expect(['RUNNING', 'COMPLETED']).toContain(description.status);
    const result = await handle.result();
    expect(result).toMatchObject({ runId: 'fixed-run-id', status: 'succeeded', output: { d: { sum: 15, seen: ['b', 'c'] } } });
    const again = await env.backend.getHandle(handle.workflowId);
    expect(comparable(await again.result())).toEqual(comparable(result));
    expect((await again.describe()).status).toBe('COMPLETED');
  });

  it('refuses a disabled task before starting anything', async () => {
    const disabling = new Registry().add(double);
    disabling.disable('double');
    const guarded = new TemporalBackend({ address: serverAddress(), taskQueue, registry: disabling });
    await expect(guarded.start(double, 1)).rejects.toMatchObject({ code: ErrorCode.TASK_DISABLED });
    await guarded.close();
  });
});

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(50);
  }
}
