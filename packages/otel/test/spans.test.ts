// Spans of local runs, checked with the SDK's in-memory exporter.
import {
  CascadenceError,
  defineFlow,
  defineTask,
  Engine,
  EventBus,
  LocalBackend,
  NonRetryableError,
  silentLogger,
  type Logger,
} from '@cascadence/core';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { instrumentTracing, OtelErrorCode, SPAN_ATTRIBUTES as A, SPAN_EVENTS } from '../src';
import { byName, idOf, inMemoryTracing, one, parentOf, traceOf, useAsyncContext } from './in-memory';

useAsyncContext();

function traced(engineOptions: ConstructorParameters<typeof Engine>[0] = {}) {
  const memory = inMemoryTracing();
  const engine = new Engine({ logger: silentLogger, ...engineOptions });
  const detach = instrumentTracing(engine, { tracerProvider: memory.provider });
  return { ...memory, engine, detach };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('instrumentTracing on a local engine', () => {
  test('a run span with one child span per step, attributes on both', async () => {
    const { engine, spans } = traced();
    const flow = defineFlow({
      name: 'diamond',
      steps: {
        fetch: { run: async () => [1, 2, 3] },
        sum: { needs: ['fetch'], run: (ctx) => (ctx.results.fetch as number[]).reduce((a, b) => a + b, 0) },
        count: { needs: ['fetch'], run: (ctx) => (ctx.results.fetch as number[]).length },
        mean: { needs: ['sum', 'count'], run: (ctx) => (ctx.results.sum as number) / (ctx.results.count as number) },
      },
    });
    const result = await engine.run(flow, undefined, { trigger: { kind: 'cli' } });
    expect(result.status).toBe('succeeded');
    const all = spans();
    expect(all).toHaveLength(5);
    const run = one(all, 'cascadence.run diamond');
    expect(parentOf(run)).toBeUndefined();
    expect(run.kind).toBe(SpanKind.INTERNAL);
    expect(run.attributes).toMatchObject({
      [A.RUN_ID]: result.runId,
      [A.TASK]: 'diamond',
      [A.KIND]: 'flow',
      [A.TRIGGER]: 'cli',
      [A.BACKEND]: 'local',
      [A.STATUS]: 'succeeded',
    });
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    for (const step of ['fetch', 'sum', 'count', 'mean']) {
      const span = one(all, `cascadence.step ${step}`);
      expect(parentOf(span)).toBe(idOf(run));
      expect(traceOf(span)).toBe(traceOf(run));
      expect(span.attributes).toMatchObject({
        [A.RUN_ID]: result.runId,
        [A.FLOW]: 'diamond',
        [A.STEP]: step,
        [A.TASK]: step,
        [A.ATTEMPT]: 1,
        [A.STATUS]: 'succeeded',
      });
    }
    // Spans lie inside their run, in dependency order.
    const start = (name: string) => one(all, name).startTime;
    const end = (name: string) => one(all, name).endTime;
    expect(hr(start('cascadence.step sum'))).toBeGreaterThanOrEqual(hr(end('cascadence.step fetch')));
    expect(hr(end('cascadence.step mean'))).toBeLessThanOrEqual(hr(run.endTime));
  });

  test('a lone task: run span and one step span; no trigger given is "api"', async () => {
    const { engine, spans } = traced();
    await engine.run(defineTask({ name: 'lone', run: () => 1 }));
    const run = one(spans(), 'cascadence.run lone');
    expect(run.attributes).toMatchObject({ [A.KIND]: 'task', [A.TRIGGER]: 'api' });
    const step = one(spans(), 'cascadence.step lone');
    expect(parentOf(step)).toBe(idOf(run));
    expect(step.attributes[A.FLOW]).toBeUndefined();
  });

  test('retries: one span per attempt, failed attempts carry the exception and a retry event', async () => {
    const { engine, spans } = traced();
    let calls = 0;
    const flaky = defineTask({
      name: 'flaky',
      retry: { attempts: 3, delayMs: 5, backoff: 'fixed' },
      run: () => {
        calls++;
        if (calls < 3) throw new Error(`boom ${calls}`);
        return 'ok';
      },
    });
    const result = await engine.run(defineFlow({ name: 'with-retries', steps: { flaky: { task: flaky } } }));
    expect(result.status).toBe('succeeded');
    const attempts = byName(spans(), 'cascadence.step flaky').sort(
      (a, b) => (a.attributes[A.ATTEMPT] as number) - (b.attributes[A.ATTEMPT] as number),
    );
    expect(attempts.map((s) => s.attributes[A.ATTEMPT])).toEqual([1, 2, 3]);
    expect(attempts.map((s) => s.attributes[A.STATUS])).toEqual(['retrying', 'retrying', 'succeeded']);
    for (const [i, failed] of attempts.slice(0, 2).entries()) {
      expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: `boom ${i + 1}` });
      const exception = failed.events.find((e) => e.name === 'exception');
      expect(exception?.attributes?.['exception.message']).toBe(`boom ${i + 1}`);
      const retry = failed.events.find((e) => e.name === SPAN_EVENTS.RETRY);
      expect(retry?.attributes).toEqual({ 'cascadence.retry.delay_ms': 5, 'cascadence.retry.next_attempt': i + 2 });
    }
    expect(attempts[2]?.status.code).toBe(SpanStatusCode.UNSET);
    const run = one(spans(), 'cascadence.run with-retries');
    for (const attempt of attempts) expect(parentOf(attempt)).toBe(idOf(run));
  });

  test('a failed step fails the run span; skipped steps are events on the run with their reason', async () => {
    const { engine, spans } = traced();
    const flow = defineFlow({
      name: 'breaks',
      steps: {
        bad: {
          run: () => {
            throw new NonRetryableError('disk full');
          },
        },
        after: { needs: ['bad'], run: () => 1 },
        cleanup: { needs: ['after'], when: 'all-done', run: () => 2 },
      },
    });
    const result = await engine.run(flow);
    expect(result.status).toBe('failed');
    const run = one(spans(), 'cascadence.run breaks');
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.status.message).toContain('disk full');
    expect(run.attributes[A.STATUS]).toBe('failed');
    expect(run.events.some((e) => e.name === 'exception')).toBe(true);
    const bad = one(spans(), 'cascadence.step bad');
    expect(bad.attributes[A.STATUS]).toBe('failed');
    expect(bad.attributes[A.ERROR_CODE]).toBe('CASCADENCE_NON_RETRYABLE');
    const skipped = run.events.filter((e) => e.name === SPAN_EVENTS.SKIPPED);
    expect(skipped.map((e) => e.attributes)).toEqual([
      { [A.STEP]: 'after', [A.TASK]: 'after', 'cascadence.skip.reason': 'upstream-failed' },
    ]);
    expect(byName(spans(), 'cascadence.step after')).toHaveLength(0);
    expect(one(spans(), 'cascadence.step cleanup').attributes[A.STATUS]).toBe('succeeded');
  });

  test('a timeout is an event on the attempt span', async () => {
    const { engine, spans } = traced();
    const slow = defineFlow({
      name: 'slow',
      steps: { wait: { timeoutMs: 20, run: (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)) } },
    });
    const result = await engine.run(slow);
    expect(result.status).toBe('failed');
    const wait = one(spans(), 'cascadence.step wait');
    expect(wait.attributes[A.ERROR_CODE]).toBe('CASCADENCE_TIMEOUT');
    expect(wait.events.find((e) => e.name === SPAN_EVENTS.TIMEOUT)?.attributes).toEqual({ 'cascadence.timeout_ms': 20 });
  });

  test('cancellation: running attempts and the run end as cancelled; a step waiting to retry gets an event on the run', async () => {
    const { engine, spans } = traced();
    const controller = new AbortController();
    const flow = defineFlow({
      name: 'cancel-me',
      steps: {
        hang: { run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) },
        retrying: {
          retry: { attempts: 5, delayMs: 60_000 },
          run: () => {
            throw new Error('not yet');
          },
        },
      },
    });
    const running = engine.run(flow, undefined, { signal: controller.signal });
    await sleep(20);
    controller.abort(new Error('operator said stop'));
    const result = await running;
    expect(result.status).toBe('cancelled');
    const run = one(spans(), 'cascadence.run cancel-me');
    expect(run.attributes[A.STATUS]).toBe('cancelled');
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    const hang = one(spans(), 'cascadence.step hang');
    expect(hang.attributes[A.STATUS]).toBe('cancelled');
    expect(hang.events.some((e) => e.name === SPAN_EVENTS.CANCELLED)).toBe(true);
    const onRun = run.events.filter((e) => e.name === SPAN_EVENTS.CANCELLED);
    expect(onRun.map((e) => e.attributes?.[A.STEP])).toEqual(['retrying']);
    expect(byName(spans(), 'cascadence.step retrying').map((s) => s.attributes[A.STATUS])).toEqual(['retrying']);
  });

  test('nested flows nest: the inner run span is a child of the step that runs it', async () => {
    const { engine, spans } = traced();
    const inner = defineFlow({ name: 'inner', steps: { a: { run: () => 1 }, b: { needs: ['a'], run: async () => 2 } } });
    const outer = defineFlow({
      name: 'outer',
      steps: { first: { run: () => 0 }, sub: { needs: ['first'], task: inner }, again: { task: inner } },
    });
    const result = await engine.run(outer);
    expect(result.status).toBe('succeeded');
    const all = spans();
    const outerRun = one(all, 'cascadence.run outer');
    const innerRuns = byName(all, 'cascadence.run inner');
    expect(innerRuns).toHaveLength(2);
    for (const stepId of ['sub', 'again']) {
      const step = one(all, `cascadence.step ${stepId}`);
      expect(parentOf(step)).toBe(idOf(outerRun));
      const innerRun = innerRuns.find((r) => parentOf(r) === idOf(step));
      expect(innerRun?.attributes).toMatchObject({ [A.PARENT_FLOW]: 'outer', [A.RUN_ID]: result.runId });
      const children = all.filter((s) => parentOf(s) === idOf(innerRun!));
      expect(children.map((s) => s.name).sort()).toEqual(['cascadence.step a', 'cascadence.step b']);
    }
    expect(new Set(all.map(traceOf)).size).toBe(1);
  });

  test('a run started inside an active span is its child; runSync too', async () => {
    const { engine, spans, tracer } = traced();
    const task = defineTask({ name: 'child', run: () => 1 });
    await tracer.startActiveSpan('request', async (request) => {
      await engine.run(task);
      engine.runSync(task);
      request.end();
    });
    const request = one(spans(), 'request');
    const runs = byName(spans(), 'cascadence.run child');
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(parentOf(run)).toBe(idOf(request));
  });

  test("steps see their attempt's span as the active one, before and after an await", async () => {
    const { engine, spans } = traced();
    const seen: Array<string | undefined> = [];
    const flow = defineFlow({
      name: 'context',
      steps: {
        sync: { run: () => void seen.push(trace.getActiveSpan()?.spanContext().spanId) },
        async: {
          run: async () => {
            seen.push(trace.getActiveSpan()?.spanContext().spanId);
            await sleep(5);
            seen.push(trace.getActiveSpan()?.spanContext().spanId);
          },
        },
      },
    });
    await engine.run(flow);
    const sync = idOf(one(spans(), 'cascadence.step sync'));
    const async = idOf(one(spans(), 'cascadence.step async'));
    expect(seen).toEqual([sync, async, async]);
  });

  test('ctx.log lines carry trace_id and span_id of the attempt', async () => {
    const lines: string[] = [];
    const logger: Logger = { debug: () => {}, info: (m) => void lines.push(m), warn: () => {}, error: () => {} };
    const { engine, spans } = traced({ logger });
    await engine.run(defineFlow({ name: 'logs', steps: { talk: { run: (ctx) => ctx.log.info('hello') } } }));
    const span = one(spans(), 'cascadence.step talk');
    expect(lines).toEqual([`[logs/talk trace_id=${traceOf(span)} span_id=${idOf(span)}] hello`]);
  });

  test("a ctx.log line names the span active where the step logs: a child span it started, else the attempt's", async () => {
    const lines: string[] = [];
    const logger: Logger = { debug: () => {}, info: (m) => void lines.push(m), warn: () => {}, error: () => {} };
    const { engine, spans, tracer } = traced({ logger });
    let later!: () => void;
    await engine.run(
      defineFlow({
        name: 'logs',
        steps: {
          talk: {
            run: (ctx) => {
              tracer.startActiveSpan('parse', (parse) => {
                ctx.log.info('inside');
                parse.end();
              });
              ctx.log.info('after');
              later = () => ctx.log.info('outside');
            },
          },
        },
      }),
    );
    // Logged from a context that is not the attempt's (here: none at all).
    later();
    const talk = one(spans(), 'cascadence.step talk');
    const parse = one(spans(), 'parse');
    expect(parentOf(parse)).toBe(idOf(talk));
    const t = traceOf(talk);
    expect(lines).toEqual([
      `[logs/talk trace_id=${t} span_id=${idOf(parse)}] inside`,
      `[logs/talk trace_id=${t} span_id=${idOf(talk)}] after`,
      `[logs/talk trace_id=${t} span_id=${idOf(talk)}] outside`,
    ]);
  });

  test('without tracing, ctx.log lines are unchanged and no span is made', async () => {
    const lines: string[] = [];
    const logger: Logger = { debug: () => {}, info: (m) => void lines.push(m), warn: () => {}, error: () => {} };
    const memory = inMemoryTracing();
    const engine = new Engine({ logger });
    const detach = instrumentTracing(engine, { tracerProvider: memory.provider });
    detach();
    detach();
    expect(engine.events.active).toBe(false);
    expect(engine.events.tracer).toBeUndefined();
    await engine.run(defineFlow({ name: 'logs', steps: { talk: { run: (ctx) => ctx.log.info('hello') } } }));
    expect(lines).toEqual(['[logs/talk] hello']);
    expect(memory.spans()).toEqual([]);
  });

  test('detaching while a run is going: that run still ends its spans; the next run makes none', async () => {
    const { engine, spans, detach } = traced();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const flow = defineFlow({ name: 'long', steps: { wait: { run: () => gate }, after: { needs: ['wait'], run: () => 1 } } });
    const running = engine.run(flow);
    detach();
    release();
    expect((await running).status).toBe('succeeded');
    expect(
      spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['cascadence.run long', 'cascadence.step after', 'cascadence.step wait']);
    await engine.run(flow);
    expect(spans()).toHaveLength(3);
  });

  test('a LocalBackend is traced through its engine; the backend name is recorded', async () => {
    const memory = inMemoryTracing();
    const backend = new LocalBackend(new Engine({ logger: silentLogger }));
    const detach = instrumentTracing(backend, { tracerProvider: memory.provider });
    await backend.run(defineTask({ name: 'via-backend', run: () => 1 }));
    expect(one(memory.spans(), 'cascadence.run via-backend').attributes[A.BACKEND]).toBe('local');
    detach();
  });

  test('refuses a target without an event bus, and a second tracer on one bus', () => {
    const caught = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      throw new Error('did not throw');
    };
    const noBus = caught(() => instrumentTracing({ name: 'nope' } as never));
    expect(CascadenceError.isInstance(noBus, OtelErrorCode.NO_EVENTS)).toBe(true);
    expect((noBus as Error).message).toContain('"nope"');
    const bus = new EventBus();
    const memory = inMemoryTracing();
    const detach = instrumentTracing({ events: bus }, { tracerProvider: memory.provider });
    expect(
      CascadenceError.isInstance(
        caught(() => instrumentTracing({ events: bus }, { tracerProvider: memory.provider })),
        'CASCADENCE_INVALID_OPTIONS',
      ),
    ).toBe(true);
    detach();
    instrumentTracing({ events: bus }, { tracerProvider: memory.provider })();
    expect(
      CascadenceError.isInstance(
        caught(() => instrumentTracing({ events: bus }, { tracerProvider: {} as never })),
        'CASCADENCE_INVALID_OPTIONS',
      ),
    ).toBe(true);
  });
});

function hr(time: [number, number]): number {
  return time[0] * 1e9 + time[1];
}
