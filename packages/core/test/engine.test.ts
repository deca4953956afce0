import { Engine } from '../src/engine';
import { CancelledError, CascadenceError, ErrorCode, NonRetryableError, TimeoutError } from '../src/errors';
import { defineFlow } from '../src/flow';
import { silentLogger } from '../src/logger';
import { Registry } from '../src/registry';
import { defineTask } from '../src/task';

const engine = (options: ConstructorParameters<typeof Engine>[0] = {}) => new Engine({ logger: silentLogger, ...options });
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

describe('Engine.run — ordering and data flow', () => {
  it('starts a step only after all its needs finished, passing their outputs via ctx.results', async () => {
    const log: string[] = [];
    const flow = defineFlow({
      name: 'ordered',
      steps: {
        fetch: {
          run: async () => {
            await sleep(10);
            log.push('fetch');
            return 2;
          },
        },
        scale: {
          run: () => {
            log.push('scale');
            return 10;
          },
        },
        combine: {
          needs: ['fetch', 'scale'],
          run: (ctx) => {
            log.push('combine');
            return (ctx.results.fetch as number) * (ctx.results.scale as number);
          },
        },
      },
    });
    const result = await engine().run(flow);
    expect(result.status).toBe('succeeded');
    expect(log).toEqual(['scale', 'fetch', 'combine']);
    expect(result.steps.combine?.output).toBe(20);
    // By default a flow's output is the output of its final steps (every step's is in result.steps).
    expect(result.output).toEqual({ combine: 20 });
    expect(result.steps.fetch?.output).toBe(2);
  });

  it('ctx.results holds only the outputs of the steps listed in needs', async () => {
    let seen: Record<string, unknown> = {};
    const flow = defineFlow({
      name: 'only-needs',
      steps: {
        a: { run: () => 'A' },
        b: { run: () => 'B' },
        c: {
          needs: ['a'],
          run: (ctx) => {
            seen = ctx.results;
          },
        },
      },
    });
    await engine({ concurrency: 1 }).run(flow);
    expect(seen).toEqual({ a: 'A' });
  });

  it('diamond a -> (b, c) -> d runs a once and d sees both outputs', async () => {
    const calls: Record<string, number> = {};
    const count = (id: string) => {
      calls[id] = (calls[id] ?? 0) + 1;
    };
    const flow = defineFlow({
      name: 'diamond',
      steps: {
        a: {
          run: async () => {
            count('a');
            await sleep(5);
            return 1;
          },
        },
        b: {
          needs: ['a'],
          run: async (ctx) => {
            count('b');
            return (ctx.results.a as number) + 1;
          },
        },
        c: {
          needs: ['a'],
          run: (ctx) => {
            count('c');
            return (ctx.results.a as number) + 2;
          },
        },
        d: {
          needs: ['b', 'c'],
          run: (ctx) => {
            count('d');
            return ctx.results;
          },
        },
      },
    });
    const result = await engine().run(flow);
    expect(calls).toEqual({ a: 1, b: 1, c: 1, d: 1 });
    expect(result.steps.d?.output).toEqual({ b: 2, c: 3 });
  });

  it('runs independent steps concurrently, bounded by concurrency', async () => {
    let running = 0;
    let peak = 0;
    const steps: Record<string, { run: () => Promise<void> }> = {};
    for (let i = 0; i < 12; i++) {
      steps[`s${i}`] = {
        run: async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(5);
          running--;
        },
      };
    }
    const flow = defineFlow({ name: 'wide', steps });
    await engine().run(flow, undefined, { concurrency: 3 });
    expect(peak).toBe(3);
    peak = 0;
    await engine({ concurrency: Infinity }).run(flow);
    expect(peak).toBe(12);
  });

  it('gives each step the flow input, or its own `with`', async () => {
    const flow = defineFlow({
      name: 'inputs',
      steps: {
        plain: { run: (_ctx, input) => input },
        own: { with: { n: 7 }, run: (_ctx, input) => input },
      },
    });
    const result = await engine().run(flow, { n: 1 });
    expect(result.output).toEqual({ plain: { n: 1 }, own: { n: 7 } });
  });

  it('runs a lone task and reports it as a single step', async () => {
    const task = defineTask({ name: 'double', run: (_ctx, n: number) => n * 2 });
    const result = await engine().run(task, 21);
    expect(result).toMatchObject({ status: 'succeeded', output: 42, task: 'double' });
    expect(result.steps.double).toMatchObject({ status: 'succeeded', attempts: 1, output: 42 });
    expect(typeof result.runId).toBe('string');
  });

  it('uses a custom output builder', async () => {
    const flow = defineFlow({
      name: 'sum',
      steps: { a: { run: () => 1 }, b: { run: () => 2 } },
      output: (results) => (results.a as number) + (results.b as number),
    });
    expect((await engine().run(flow)).output).toBe(3);
  });

  // The engine skips the shape check for the runnable it planned last: `undefined` (what it holds
  // before its first plan) and look-alikes must still be refused, before and after.
  it('refuses what is not a task or flow, before and after it has planned one', async () => {
    const e = engine();
    const refuses = async () => {
      for (const bad of [undefined, null, {}, { kind: 'flow', name: 'x' }]) {
        expect(() => e.runSync(bad as never)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_DEFINITION }));
        await expect(e.run(bad as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_DEFINITION });
      }
    };
    await refuses();
    const task = defineTask({ name: 'planned', run: () => 1 });
    expect(e.runSync(task).status).toBe('succeeded');
    expect(e.runSync(task).status).toBe('succeeded');
    await refuses();
  });
});

describe('Engine.run — failure, skipping and trigger rules', () => {
  const failing = defineTask({
    name: 'boom',
    run: () => {
      throw new Error('boom');
    },
  });

  it('skips dependants of a failed step transitively while independent branches complete', async () => {
    const flow = defineFlow({
      name: 'branches',
      steps: {
        bad: { task: failing },
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
    const result = await engine().run(flow);
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('boom');
    expect(result.output).toBeUndefined();
    const statuses = Object.fromEntries(Object.entries(result.steps).map(([id, s]) => [id, s.status]));
    expect(statuses).toEqual({ bad: 'failed', child: 'skipped', grandchild: 'skipped', other: 'succeeded', otherChild: 'succeeded' });
    expect(result.steps.child?.attempts).toBe(0);
  });

  it('runs all-done cleanup steps after failures and any-failed handlers only on failure', async () => {
    const make = (fail: boolean) =>
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
    const failed = await engine().run(make(true));
    expect(failed.status).toBe('failed');
    expect(failed.steps.after?.status).toBe('skipped');
    expect(failed.steps.cleanup).toMatchObject({ status: 'succeeded', output: 'cleaned' });
    expect(failed.steps.alert).toMatchObject({ status: 'succeeded', output: 'alerted' });

    const ok = await engine().run(make(false));
    expect(ok.status).toBe('succeeded');
    expect(ok.steps.cleanup?.status).toBe('succeeded');
    expect(ok.steps.alert?.status).toBe('skipped');
  });

  it('with failFast aborts running steps and starts no new plain steps', async () => {
    let slowSawAbort = false;
    let lateStarted = false;
    const flow = defineFlow({
      name: 'ff',
      steps: {
        bad: {
          run: async () => {
            await sleep(5);
            throw new Error('bad');
          },
        },
        slow: {
          run: async (ctx) => {
            try {
              await sleep(1000, ctx.signal);
            } catch {
              slowSawAbort = ctx.signal.aborted;
              throw new Error('aborted');
            }
          },
        },
        late: { needs: ['bad'], when: 'all-done', run: () => 'cleanup ran' },
        blocked: {
          needs: ['slow'],
          run: () => {
            lateStarted = true;
          },
        },
      },
    });
    const started = Date.now();
    const result = await engine().run(flow, undefined, { failFast: true });
    expect(Date.now() - started).toBeLessThan(900);
    expect(result.status).toBe('failed');
    expect(result.steps.slow?.status).toBe('cancelled');
    expect(result.steps.slow?.error?.message).toContain('fail-fast');
    expect(slowSawAbort).toBe(true);
    expect(result.steps.blocked?.status).toBe('skipped');
    expect(lateStarted).toBe(false);
    expect(result.steps.late?.status).toBe('succeeded');
  });
});

describe('Engine.run — retries', () => {
  it('retries up to attempts and counts them', async () => {
    let calls = 0;
    const flaky = defineTask({
      name: 'flaky',
      retry: { attempts: 4, backoff: 'fixed', delayMs: 1 },
      run: () => {
        calls++;
        if (calls < 3) throw new Error(`fail ${calls}`);
        return 'ok';
      },
    });
    const result = await engine().run(flaky);
    expect(result.status).toBe('succeeded');
    expect(result.steps.flaky?.attempts).toBe(3);
    expect(calls).toBe(3);
  });

  it('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    const flow = defineFlow({
      name: 'hopeless',
      steps: {
        s: {
          retry: { attempts: 3, delayMs: 1 },
          run: () => {
            calls++;
            throw new Error(`fail ${calls}`);
          },
        },
      },
    });
    const result = await engine().run(flow);
    expect(result.status).toBe('failed');
    expect(result.steps.s).toMatchObject({ status: 'failed', attempts: 3 });
    expect(result.steps.s?.error?.message).toBe('fail 3');
  });

  it('stops retrying on a non-retryable error, by class or by name', async () => {
    class BadInput extends Error {
      override name = 'BadInput';
    }
    let calls = 0;
    const byName = defineFlow({
      name: 'non-retryable',
      steps: {
        byClass: {
          retry: { attempts: 5, delayMs: 1, nonRetryable: [BadInput] },
          run: () => {
            calls++;
            throw new BadInput('x');
          },
        },
        byName: {
          retry: { attempts: 5, delayMs: 1, nonRetryable: ['BadInput'] },
          run: () => {
            calls++;
            throw new BadInput('y');
          },
        },
        builtin: {
          retry: { attempts: 5, delayMs: 1 },
          run: () => {
            calls++;
            throw new NonRetryableError('z');
          },
        },
      },
    });
    const result = await engine().run(byName);
    expect(calls).toBe(3);
    for (const id of ['byClass', 'byName', 'builtin']) expect(result.steps[id]?.attempts).toBe(1);
  });

  it('waits with exponential backoff capped by maxDelayMs', async () => {
    const delays: number[] = [];
    const e = engine();
    e.events.on('step:retry', (ev) => delays.push(ev.delayMs));
    const flow = defineFlow({
      name: 'backoff',
      steps: {
        s: {
          retry: { attempts: 5, backoff: 'exponential', delayMs: 2, maxDelayMs: 10 },
          run: () => {
            throw new Error('x');
          },
        },
      },
    });
    await e.run(flow);
    expect(delays).toEqual([2, 4, 8, 10]);
  });
});

describe('Engine.run — timeouts and cancellation', () => {
  it('timeoutMs aborts ctx.signal and fails the step with a timeout error', async () => {
    let aborted: unknown;
    const flow = defineFlow({
      name: 'slowpoke',
      steps: {
        slow: {
          timeoutMs: 20,
          run: async (ctx) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = ctx.signal.reason;
            });
            // Ignores the signal on purpose: the engine must not wait for it.
            await new Promise((resolve) => setTimeout(resolve, 2000).unref());
          },
        },
      },
    });
    const started = Date.now();
    const result = await engine().run(flow);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.status).toBe('failed');
    expect(result.steps.slow?.error).toBeInstanceOf(TimeoutError);
    expect(CascadenceError.isInstance(result.steps.slow?.error, ErrorCode.TIMEOUT)).toBe(true);
    expect(result.steps.slow?.error?.message).toBe('step "slow" of flow "slowpoke" timed out after 20 ms');
    expect(aborted).toBe(result.steps.slow?.error);
  });

  it('an outer AbortSignal cancels the run, aborts running steps and starts no new ones', async () => {
    const controller = new AbortController();
    let nextStarted = false;
    let sawAbort = false;
    const flow = defineFlow({
      name: 'cancellable',
      steps: {
        first: {
          run: async (ctx) => {
            setTimeout(() => controller.abort(), 10);
            try {
              await sleep(5000, ctx.signal);
            } catch (e) {
              sawAbort = true;
              throw e;
            }
          },
        },
        next: {
          needs: ['first'],
          when: 'all-done',
          run: () => {
            nextStarted = true;
          },
        },
      },
    });
    const result = await engine().run(flow, undefined, { signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(result.error).toBeInstanceOf(CancelledError);
    expect(result.steps.first?.status).toBe('cancelled');
    expect(result.steps.next?.status).toBe('cancelled');
    expect(sawAbort).toBe(true);
    await sleep(5);
    expect(nextStarted).toBe(false);
  });

  it('fail-fast cancels a step queued for its retry (not marked skipped, its attempt and error kept)', async () => {
    // concurrency 1: "flaky" fails, its retry is due at once but must wait in the queue behind "slow",
    // which then fails and triggers fail-fast.
    const starts: string[] = [];
    const flow = defineFlow({
      name: 'queued-retry',
      steps: {
        flaky: {
          retry: { attempts: 3, backoff: 'fixed', delayMs: 0 },
          run: async (ctx) => {
            starts.push(`flaky#${ctx.attempt}`);
            throw new Error('flaky failed');
          },
        },
        slow: {
          run: async () => {
            starts.push('slow');
            await sleep(20);
            throw new Error('slow failed');
          },
        },
      },
    });
    const events: string[] = [];
    const e = engine({ concurrency: 1, failFast: true });
    e.events.onAny((event) => {
      if ('step' in event && event.step === 'flaky') events.push(event.type === 'step:failure' ? `failure:${event.status}` : event.type);
    });
    const result = await e.run(flow);
    expect(starts).toEqual(['flaky#1', 'slow']);
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('slow failed');
    expect(result.steps.flaky?.status).toBe('cancelled');
    expect(result.steps.flaky?.attempts).toBe(1);
    expect(CascadenceError.isInstance(result.steps.flaky?.error, ErrorCode.CANCELLED)).toBe(true);
    expect(events).toEqual(['step:start', 'step:retry', 'failure:cancelled']);
  });

  it('an already aborted signal runs nothing', async () => {
    let ran = false;
    const flow = defineFlow({
      name: 'never',
      steps: {
        a: {
          run: () => {
            ran = true;
          },
        },
      },
    });
    const result = await engine().run(flow, undefined, { signal: AbortSignal.abort() });
    expect(result.status).toBe('cancelled');
    expect(ran).toBe(false);
  });
});

describe('Engine — nesting, non-Error throws, runSync', () => {
  it('flows nest: a flow used as a step of another flow', async () => {
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
        last: { needs: ['sub'], run: (ctx) => ctx.results.sub },
      },
    });
    const asyncResult = await engine().run(outer);
    expect(asyncResult.steps.last?.output).toBe(20);
    const syncResult = engine().runSync(outer);
    expect(syncResult.steps.last?.output).toBe(20);
  });

  it('a failing nested flow fails its step with the inner cause', async () => {
    const inner = defineFlow({
      name: 'inner-bad',
      steps: {
        z: {
          run: () => {
            throw new Error('deep');
          },
        },
      },
    });
    const outer = defineFlow({ name: 'outer-bad', steps: { sub: { task: inner } } });
    const result = await engine().run(outer);
    expect(result.steps.sub?.status).toBe('failed');
    expect(CascadenceError.isInstance(result.steps.sub?.error, ErrorCode.FLOW_FAILED)).toBe(true);
    expect(result.steps.sub?.error?.message).toContain('failed steps: z');
    expect((result.steps.sub?.error as Error & { cause: Error }).cause.message).toBe('deep');
  });

  it('wraps a thrown non-Error value and keeps it', async () => {
    const flow = defineFlow({
      name: 'weird',
      steps: {
        s: {
          run: () => {
            throw { code: 42 };
          },
        },
        t: { run: async () => Promise.reject('nope') },
      },
    });
    const result = await engine().run(flow);
    expect(result.steps.s?.error).toBeInstanceOf(Error);
    expect(result.steps.s?.error?.message).toContain('{"code":42}');
    expect((result.steps.s?.error as unknown as { value: unknown }).value).toEqual({ code: 42 });
    expect(CascadenceError.isInstance(result.steps.t?.error, ErrorCode.NON_ERROR_THROWN)).toBe(true);
    expect(result.steps.t?.error?.message).toContain('"nope"');
  });

  it('keeps thrown values that throw when inspected (revoked Proxy, hostile getters): the run still resolves', async () => {
    const revoked = () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('hostile getter');
        },
        getPrototypeOf() {
          throw new Error('hostile prototype');
        },
      },
    );
    const thrown = [revoked(), revoked(), hostile];
    const flow = defineFlow({
      name: 'hostile',
      steps: {
        sync: {
          run: () => {
            throw thrown[0];
          },
        },
        async: { run: () => Promise.reject(thrown[1]) },
        getter: {
          run: async () => {
            throw thrown[2];
          },
        },
        after: { needs: ['sync'], when: 'all-done', run: () => 'ran' },
      },
    });
    const result = await engine().run(flow);
    expect(result.status).toBe('failed');
    expect(result.steps.after?.output).toBe('ran');
    for (const [id, value] of [
      ['sync', thrown[0]],
      ['async', thrown[1]],
      ['getter', thrown[2]],
    ] as const) {
      const error = result.steps[id]?.error as Error & { value: unknown };
      expect(CascadenceError.isInstance(error, ErrorCode.NON_ERROR_THROWN)).toBe(true);
      expect(error.value).toBe(value);
      expect(error.message).toMatch(/^a non-Error value was thrown: /);
    }
    expect(
      engine().runSync(
        defineFlow({
          name: 'hostile-sync',
          steps: {
            s: {
              run: () => {
                throw revoked();
              },
            },
          },
        }),
      ).steps.s?.status,
    ).toBe('failed');

    // Cancelled with such a reason: cancelled, not crashed.
    const controller = new AbortController();
    const pending = engine().run(
      defineFlow({ name: 'cancel-hostile', steps: { wait: { run: (ctx) => sleep(10_000, ctx.signal) } } }),
      undefined,
      { signal: controller.signal },
    );
    controller.abort(revoked());
    const cancelled = await pending;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error?.message).toMatch(/was cancelled/);
  });

  it('run accepts sync and async steps mixed', async () => {
    const flow = defineFlow({
      name: 'mixed',
      steps: {
        a: { run: () => 1 },
        b: { needs: ['a'], run: async (ctx) => (ctx.results.a as number) + 1 },
        c: { needs: ['b'], run: (ctx) => (ctx.results.b as number) + 1 },
      },
    });
    expect((await engine().run(flow)).steps.c?.output).toBe(3);
  });

  it('runSync runs synchronous flows and returns the result directly', () => {
    const flow = defineFlow({
      name: 'sync',
      steps: {
        a: { run: () => 1 },
        b: { needs: ['a'], run: (ctx) => (ctx.results.a as number) + 1 },
        bad: {
          run: () => {
            throw new Error('x');
          },
        },
      },
    });
    const result = engine().runSync(flow);
    expect(result.status).toBe('failed');
    expect(result.steps.b?.output).toBe(2);
    expect(result.steps.bad?.status).toBe('failed');
  });

  it('runSync retries synchronously', () => {
    let calls = 0;
    const flow = defineFlow({
      name: 'sync-retry',
      steps: {
        a: {
          retry: { attempts: 3, backoff: 'fixed', delayMs: 1 },
          run: () => {
            if (++calls < 3) throw new Error('again');
            return calls;
          },
        },
      },
    });
    const result = engine().runSync(flow);
    expect(result.steps.a).toMatchObject({ status: 'succeeded', attempts: 3, output: 3 });
  });

  it('runSync throws a clear error when a step returns a Promise', () => {
    const flow = defineFlow({ name: 'sneaky', steps: { a: { run: () => 1 }, b: { needs: ['a'], run: async () => 2 } } });
    expect(() => engine().runSync(flow)).toThrow('step "b" of flow "sneaky" returned a Promise, but runSync only runs synchronous steps');
    try {
      engine().runSync(flow);
    } catch (error) {
      expect(CascadenceError.isInstance(error, ErrorCode.ASYNC_IN_RUN_SYNC)).toBe(true);
    }
  });

  it('runSync creates no Promise per step', () => {
    const OriginalPromise = global.Promise;
    let created = 0;
    class CountingPromise<T> extends OriginalPromise<T> {
      constructor(executor: ConstructorParameters<typeof Promise<T>>[0]) {
        created++;
        super(executor);
      }
    }
    const steps: Record<string, { needs?: string[]; run: () => number }> = {};
    for (let i = 0; i < 100; i++) steps[`s${i}`] = { ...(i > 0 ? { needs: [`s${i - 1}`] } : {}), run: () => i };
    const flow = defineFlow({ name: 'chain', steps });
    const e = engine();
    global.Promise = CountingPromise as PromiseConstructor;
    try {
      e.runSync(flow);
    } finally {
      global.Promise = OriginalPromise;
    }
    expect(created).toBe(0);
  });
});

describe('flows that contain themselves', () => {
  const registry = (flows: ReturnType<typeof defineFlow>[]) => {
    const byName = new Map(flows.map((flow) => [flow.name, flow]));
    return {
      resolveTask: (name: string) => {
        const found = byName.get(name);
        if (found === undefined) throw new CascadenceError(ErrorCode.UNKNOWN_TASK, `unknown task "${name}"`);
        return found;
      },
      resolveProcessor: (name: string): never => {
        throw new CascadenceError(ErrorCode.UNKNOWN_PROCESSOR, `unknown processor "${name}"`);
      },
    };
  };

  it('are refused before any step starts, printing the loop (directly and through another flow)', async () => {
    const started: string[] = [];
    const selfloop = defineFlow({
      name: 'selfloop',
      steps: { first: { run: () => void started.push('first') }, again: { needs: ['first'], task: 'selfloop' } },
    });
    const ping = defineFlow({ name: 'ping', steps: { p: { run: () => void started.push('p') }, next: { needs: ['p'], task: 'pong' } } });
    const pong = defineFlow({ name: 'pong', steps: { back: { task: 'ping' } } });
    const engine = new Engine({ logger: silentLogger, resolver: registry([selfloop, ping, pong]) });
    const refusal = async (flow: ReturnType<typeof defineFlow>) =>
      engine.run(flow).then(
        () => undefined,
        (error: unknown) => error as CascadenceError,
      );
    const direct = await refusal(selfloop);
    expect(direct?.code).toBe(ErrorCode.CYCLE);
    expect(direct?.message).toBe('flow "selfloop" contains itself: selfloop -> selfloop');
    const indirect = await refusal(ping);
    expect(indirect?.message).toBe('flow "ping" contains itself: ping -> pong -> ping');
    expect(() => engine.runSync(pong)).toThrow('flow "pong" contains itself: pong -> ping -> pong');
    expect(started).toEqual([]);
  });
});

describe('Engine — disabled tasks as flow steps', () => {
  it('skips the step with reason disabled (root or not, nested flows too); dependants follow their trigger rules', async () => {
    const ran: string[] = [];
    const touch = defineTask({ name: 'touch', run: () => void ran.push('touch') });
    const inner = defineFlow({ name: 'inner', steps: { only: { run: () => void ran.push('inner') } } });
    const flow = defineFlow({
      name: 'guarded',
      steps: {
        first: { task: 'touch' },
        after: { needs: ['first'], run: () => 'after' },
        cleanup: { needs: ['first'], when: 'all-done', run: () => 'cleaned' },
        nested: { needs: ['cleanup'], task: 'inner' },
        last: { needs: ['nested'], when: 'all-done', run: () => 'last' },
      },
    });
    const registry = new Registry({ disabled: ['touch', 'inner'] }).add(touch).add(inner).add(flow);
    const engine = new Engine({ resolver: registry });
    const skips: string[] = [];
    engine.events.on('step:skip', (event) => skips.push(`${event.step}:${event.reason}`));
    const result = await engine.run(flow);
    expect(ran).toEqual([]);
    expect(result.status).toBe('succeeded');
    expect(skips).toEqual(['first:disabled', 'after:trigger-rule', 'nested:disabled']);
    expect(result.steps.first).toMatchObject({ status: 'skipped', skipReason: 'disabled', attempts: 0 });
    expect(result.steps.after).toMatchObject({ status: 'skipped', skipReason: 'trigger-rule' });
    expect(result.steps.cleanup?.output).toBe('cleaned');
    expect(result.steps.last?.output).toBe('last');

    registry.enable('touch');
    registry.enable('inner');
    expect((await engine.run(flow)).steps.first?.status).toBe('succeeded');
    expect(ran).toEqual(['touch', 'inner']);
  });
});

describe('Engine.stepsInFlight', () => {
  it('counts step code still running after the run was cancelled, until it settles', async () => {
    const e = engine();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const flow = defineFlow({ name: 'stubborn', steps: { a: { run: () => held }, b: { run: () => held }, c: { run: async () => 1 } } });
    const controller = new AbortController();
    const running = e.run(flow, undefined, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error('stop'));
    expect((await running).status).toBe('cancelled');
    expect(e.stepsInFlight).toBe(2);
    let settled = false;
    const whenSettled = e.whenStepsSettled().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    release();
    await whenSettled;
    expect(e.stepsInFlight).toBe(0);
  });
});
