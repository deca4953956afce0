// Issue 19/20: a map step's items get spans under the step attempt (capped per attempt), checked
// with the SDK's in-memory exporter on a local engine.
import { defineFlow, Engine, EventBus, silentLogger, type StepItemEvent } from '@cascadence/core';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_MAX_ITEM_SPANS, instrumentTracing, OtelErrorCode, SPAN_ATTRIBUTES as A, SPAN_EVENTS, type TracingOptions } from '../src';
import { byName, idOf, inMemoryTracing, one, parentOf, traceOf, useAsyncContext } from './in-memory';

useAsyncContext();

function traced(options: TracingOptions = {}) {
  const memory = inMemoryTracing();
  const engine = new Engine({ logger: silentLogger });
  instrumentTracing(engine, { tracerProvider: memory.provider, ...options });
  return { ...memory, engine };
}

const ms = (t: ReadableSpan['startTime']) => t[0] * 1e3 + t[1] / 1e6;
const sleep = (n: number) => new Promise((resolve) => setTimeout(resolve, n));

describe('spans of map items', () => {
  test('one span per item under the step attempt: index, attempts, status, retries as events, failures as errors', async () => {
    const { engine, spans } = traced();
    const tries = new Map<number, number>();
    const result = await engine.run(
      defineFlow({
        name: 'fan',
        steps: {
          list: { run: () => [0, 1, 2, 3] },
          each: {
            needs: ['list'],
            map: 'list',
            retry: { attempts: 2, delayMs: 5 },
            run: async (ctx, n: number) => {
              tries.set(n, (tries.get(n) ?? 0) + 1);
              await sleep(2);
              if (n === 1 && tries.get(n) === 1) throw new Error('flaky once');
              if (n === 2) return ctx.skip('not today');
              if (n === 3) throw new Error('item 3 broke');
              return n;
            },
          },
        },
      }),
    );
    expect(result.status).toBe('failed');
    const all = spans();
    const step = one(all, 'cascadence.step each');
    expect(step.attributes[A.ITEMS]).toBe(4);
    expect(step.attributes[A.ITEMS_UNSPANNED]).toBeUndefined();
    const items = byName(all, 'cascadence.item each').sort((a, b) => Number(a.attributes[A.ITEM]) - Number(b.attributes[A.ITEM]));
    expect(items.map((s) => [s.attributes[A.ITEM], s.attributes[A.STATUS], s.attributes[A.ATTEMPT]])).toEqual([
      [0, 'succeeded', 1],
      [1, 'succeeded', 2],
      [2, 'skipped', 1],
      [3, 'failed', 2],
    ]);
    for (const item of items) {
      expect(parentOf(item)).toBe(idOf(step));
      expect(traceOf(item)).toBe(traceOf(step));
      expect(item.attributes).toMatchObject({
        [A.RUN_ID]: result.runId,
        [A.FLOW]: 'fan',
        [A.STEP]: 'each',
        [A.ITEMS]: 4,
        [A.BACKEND]: 'local',
      });
      // Inside the step's span, and at least as long as the item's work.
      expect(ms(item.startTime)).toBeGreaterThanOrEqual(ms(step.startTime) - 0.01);
      expect(ms(item.endTime)).toBeLessThanOrEqual(ms(step.endTime) + 0.01);
      expect(ms(item.endTime) - ms(item.startTime)).toBeGreaterThanOrEqual(1);
    }
    // The retried item's span covers both attempts and the wait: its retry is an event with the exception.
    const retried = items[1] as ReadableSpan;
    expect(retried.events.map((e) => e.name)).toEqual(['exception', SPAN_EVENTS.RETRY]);
    expect(retried.events[0]?.attributes?.['exception.message']).toBe('flaky once');
    expect(retried.status.code).toBe(SpanStatusCode.UNSET);
    expect(ms(retried.endTime) - ms(retried.startTime)).toBeGreaterThanOrEqual(5);
    const failed = items[3] as ReadableSpan;
    expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'item 3 broke' });
    expect(failed.events.filter((e) => e.name === 'exception')).toHaveLength(2);
  });

  test('at most maxItemSpans items of a step attempt get spans; the rest are counted, their failures are step events', async () => {
    const { engine, spans } = traced({ maxItemSpans: 10 });
    await engine.run(
      defineFlow({
        name: 'wide',
        steps: {
          list: { run: () => Array.from({ length: 50 }, (_, i) => i) },
          each: {
            needs: ['list'],
            map: 'list',
            concurrency: 1,
            run: (_ctx, n: number) => {
              if (n === 42) throw new Error('item 42 broke');
              return n;
            },
          },
        },
      }),
    );
    const all = spans();
    expect(byName(all, 'cascadence.item each')).toHaveLength(10);
    const step = one(all, 'cascadence.step each');
    expect(step.attributes).toMatchObject({ [A.ITEMS]: 50, [A.ITEMS_UNSPANNED]: 40 });
    const failures = step.events.filter((e) => e.name === SPAN_EVENTS.ITEM_FAILED);
    expect(failures.map((e) => [e.attributes?.[A.ITEM], e.attributes?.['exception.message']])).toEqual([[42, 'item 42 broke']]);
  });

  test('maxItemSpans 0 makes no item spans; a bad value is refused', async () => {
    const { engine, spans } = traced({ maxItemSpans: 0 });
    await engine.run(defineFlow({ name: 'none', steps: { each: { map: () => [1, 2], run: (_ctx, n: number) => n } } }));
    expect(byName(spans(), 'cascadence.item each')).toHaveLength(0);
    expect(one(spans(), 'cascadence.step each').attributes[A.ITEMS]).toBeUndefined();
    expect(DEFAULT_MAX_ITEM_SPANS).toBe(1000);
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => instrumentTracing(new Engine({ logger: silentLogger }), { maxItemSpans: bad })).toThrow(
        expect.objectContaining({ code: OtelErrorCode.INVALID_OPTIONS, message: expect.stringContaining('"maxItemSpans"') }),
      );
    }
  });

  test('a nested flow mapped over items: its steps run once per item at once, and their spans are not confused', async () => {
    const { engine, spans } = traced();
    const inner = defineFlow({
      name: 'inner',
      steps: { parts: { map: () => [1, 2], run: async (_ctx, n: number) => (await sleep(1), n) } },
    });
    const result = await engine.run(
      defineFlow({ name: 'outer', steps: { list: { run: () => [1, 2, 3] }, each: { needs: ['list'], map: 'list', task: inner } } }),
    );
    expect(result.status).toBe('succeeded');
    const all = spans();
    // The outer map's three items are spanned under its step; the inner steps ran three at once, so their items are not.
    expect(byName(all, 'cascadence.item each')).toHaveLength(3);
    expect(byName(all, 'cascadence.step parts')).toHaveLength(3);
    expect(byName(all, 'cascadence.item parts')).toHaveLength(0);
  });

  test("a step that skips itself: its attempt span says so, with the step's words (issue 19)", async () => {
    const { engine, spans } = traced();
    await engine.run(defineFlow({ name: 'quiet', steps: { check: { run: (ctx) => ctx.skip('nothing new') } } }));
    expect(one(spans(), 'cascadence.step check').attributes).toMatchObject({
      [A.STATUS]: 'skipped',
      'cascadence.skip.reason': 'self',
      'cascadence.skip.message': 'nothing new',
    });
  });

  test('an item with no attempt of its step in this process (a Temporal worker runs items as activities): a span per item attempt under the active span', async () => {
    const memory = inMemoryTracing();
    const bus = new EventBus();
    instrumentTracing({ events: bus, name: 'temporal' }, { tracerProvider: memory.provider });
    const item = (attempt: number, status: StepItemEvent['status'], error?: Error): StepItemEvent => ({
      type: 'step:item',
      runId: 'r1',
      at: Date.now(),
      flow: 'f',
      step: 'each',
      task: 'each',
      attempt,
      item: 3,
      items: 5,
      status,
      durationMs: 2,
      error,
      output: undefined,
    });
    const activity = memory.tracer.startSpan('RunActivity:cascadenceStep');
    context.with(trace.setSpan(context.active(), activity), () => bus.emit(item(1, 'retrying', new Error('flaky'))));
    context.with(trace.setSpan(context.active(), activity), () => bus.emit(item(2, 'succeeded')));
    activity.end();
    const spans = byName(memory.spans(), 'cascadence.item each');
    expect(spans.map((s) => [s.attributes[A.ATTEMPT], s.attributes[A.STATUS], s.status.code])).toEqual([
      [1, 'retrying', SpanStatusCode.ERROR],
      [2, 'succeeded', SpanStatusCode.UNSET],
    ]);
    for (const span of spans) {
      expect(parentOf(span)).toBe(idOf(one(memory.spans(), 'RunActivity:cascadenceStep')));
      expect(span.attributes).toMatchObject({ [A.ITEM]: 3, [A.ITEMS]: 5, [A.BACKEND]: 'temporal', [A.FLOW]: 'f' });
      expect(ms(span.endTime) - ms(span.startTime)).toBeCloseTo(2, 1);
    }
  });
});
