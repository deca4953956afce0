// instrument(): attach/detach, sharing one registry, conflicts, schedule events, options.
import { CascadenceError, defineFlow, defineTask, Engine, EventBus, LocalBackend, silentLogger } from '@cascadence/core';
import { Counter, Registry } from 'prom-client';
import { createMetrics, instrument, metricsText, MetricsErrorCode } from '../src';
import { gate, parseMetrics, samplesOf, valueOf } from './helpers';

const ok = defineTask({ name: 'ok', run: () => 1 });
const lone = (task: string) => ({ task, flow: '', step: task });
const newEngine = () => new Engine({ logger: silentLogger });
const read = async (registry: Registry) => parseMetrics(await metricsText(registry));

describe('instrument', () => {
  test('detach stops counting; counts so far stay', async () => {
    const registry = new Registry();
    const engine = newEngine();
    const detach = instrument(engine, { registry });
    await engine.run(ok);
    await engine.run(ok);
    detach();
    detach(); // idempotent
    await engine.run(ok);
    expect(valueOf(await read(registry), 'task_success_total', lone('ok'))).toBe(2);
    expect(engine.events.listenerCount()).toBe(0);
    expect(engine.events.active).toBe(false);
  });

  test('detaching while a task runs takes its in-progress count back', async () => {
    const registry = new Registry();
    const engine = newEngine();
    const held = gate();
    const waiting = defineTask({ name: 'waiting', run: () => held.promise });
    const detach = instrument(engine, { registry });
    const running = engine.run(waiting);
    expect(valueOf(await read(registry), 'tasks_in_progress', lone('waiting'))).toBe(1);
    detach();
    expect(valueOf(await read(registry), 'tasks_in_progress', lone('waiting'))).toBe(0);
    held.open();
    await running;
    expect(valueOf(await read(registry), 'task_success_total', lone('waiting'))).toBe(0);
  });

  test('attaching while a task runs does not count its end below zero', async () => {
    const registry = new Registry();
    const engine = newEngine();
    const held = gate();
    const waiting = defineTask({ name: 'waiting', run: () => held.promise });
    engine.events.on('run:end', () => {}); // events on before attaching: the start is emitted but not seen
    const running = engine.run(waiting);
    const detach = instrument(engine, { registry });
    held.open();
    await running;
    const samples = await read(registry);
    expect(valueOf(samples, 'tasks_in_progress', lone('waiting'))).toBe(0);
    expect(valueOf(samples, 'task_success_total', lone('waiting'))).toBe(1);
    detach();
  });

  test('two targets into one registry share the metrics (no "already registered")', async () => {
    const registry = new Registry();
    const a = newEngine();
    const b = newEngine();
    const detachA = instrument(a, { registry });
    const detachB = instrument(b, { registry });
    await a.run(ok);
    await b.run(ok);
    await b.run(ok);
    const samples = await read(registry);
    expect(valueOf(samples, 'task_success_total', lone('ok'))).toBe(3);
    expect(samplesOf(samples, 'task_success_total')).toHaveLength(1);
    detachA();
    await b.run(ok);
    expect(valueOf(await read(registry), 'task_success_total', lone('ok'))).toBe(4);
    detachB();
  });

  test("the same event bus instrumented twice counts once (a LocalBackend shares its engine's bus)", async () => {
    const registry = new Registry();
    const engine = newEngine();
    const backend = new LocalBackend(engine);
    const detachEngine = instrument(engine, { registry });
    const detachBackend = instrument(backend, { registry });
    await backend.run(ok);
    expect(valueOf(await read(registry), 'task_success_total', lone('ok'))).toBe(1);
    detachEngine();
    await backend.run(ok); // still attached through the backend
    expect(valueOf(await read(registry), 'task_success_total', lone('ok'))).toBe(2);
    detachBackend();
    await backend.run(ok);
    expect(valueOf(await read(registry), 'task_success_total', lone('ok'))).toBe(2);
    expect(engine.events.listenerCount()).toBe(0);
  });

  test('a flow run changing step order, and two flows with one name, are still counted right', async () => {
    const registry = new Registry();
    const engine = newEngine();
    const detach = instrument(engine, { registry });
    const other = defineTask({ name: 'other', run: () => 2 });
    const first = defineFlow({ name: 'same', steps: { a: { task: ok }, b: { task: ok, needs: ['a'] } } });
    const second = defineFlow({ name: 'same', steps: { b: { task: other }, a: { task: other, needs: ['b'] }, c: { task: ok } } });
    await engine.run(first);
    await engine.run(second);
    await engine.run(first);
    const samples = await read(registry);
    expect(valueOf(samples, 'task_success_total', { task: 'ok', flow: 'same', step: 'a' })).toBe(2);
    expect(valueOf(samples, 'task_success_total', { task: 'ok', flow: 'same', step: 'b' })).toBe(2);
    expect(valueOf(samples, 'task_success_total', { task: 'other', flow: 'same', step: 'a' })).toBe(1);
    expect(valueOf(samples, 'task_success_total', { task: 'other', flow: 'same', step: 'b' })).toBe(1);
    expect(valueOf(samples, 'task_success_total', { task: 'ok', flow: 'same', step: 'c' })).toBe(1);
    expect(valueOf(samples, 'task_success_total', lone('same'))).toBe(3);
    for (const s of samplesOf(samples, 'tasks_in_progress')) expect(s.value).toBe(0);
    detach();
  });

  test('concurrent runs of one flow with async steps keep exact counts', async () => {
    const registry = new Registry();
    const engine = newEngine();
    const detach = instrument(engine, { registry });
    const sleepy = defineTask({ name: 'sleepy', run: (_ctx, input: unknown) => new Promise((r) => setTimeout(r, Number(input))) });
    const flow = defineFlow({
      name: 'parallel',
      steps: { x: { task: sleepy }, y: { task: sleepy }, z: { task: ok, needs: ['x', 'y'] } },
    });
    await Promise.all([1, 5, 3, 0, 2, 4].map((ms) => engine.run(flow, ms)));
    const samples = await read(registry);
    for (const step of ['x', 'y']) expect(valueOf(samples, 'task_success_total', { task: 'sleepy', flow: 'parallel', step })).toBe(6);
    expect(valueOf(samples, 'task_success_total', { task: 'ok', flow: 'parallel', step: 'z' })).toBe(6);
    expect(valueOf(samples, 'task_latency_seconds_count', { task: 'ok', flow: 'parallel', step: 'z', status: 'succeeded' })).toBe(6);
    for (const s of samplesOf(samples, 'tasks_in_progress')) expect(s.value).toBe(0);
    detach();
  });

  test('runSync runs are counted like async ones', () => {
    const registry = new Registry();
    const engine = newEngine();
    const detach = instrument(engine, { registry });
    const flow = defineFlow({ name: 'sync', steps: { a: { task: ok }, b: { task: ok, needs: ['a'] } } });
    engine.runSync(flow);
    engine.runSync(flow);
    return read(registry).then((samples) => {
      expect(valueOf(samples, 'task_success_total', { task: 'ok', flow: 'sync', step: 'b' })).toBe(2);
      expect(valueOf(samples, 'task_success_total', lone('sync'))).toBe(2);
      detach();
    });
  });

  test('schedule events: fires, misses, skips and lag', async () => {
    const registry = new Registry();
    const scheduler = { events: new EventBus() };
    const detach = instrument(scheduler, { registry });
    const due = Date.UTC(2030, 0, 1, 12, 0, 0);
    scheduler.events.emit({ type: 'schedule:fire', task: 'nightly', scheduledAt: due, at: due + 1500, lagMs: 1500 });
    scheduler.events.emit({ type: 'schedule:fire', task: 'nightly', scheduledAt: due + 86_400_000, at: due + 86_400_250, lagMs: 250 });
    scheduler.events.emit({ type: 'schedule:miss', task: 'nightly', scheduledAt: due, at: due + 5, count: 3 });
    scheduler.events.emit({ type: 'schedule:skip', task: 'nightly', scheduledAt: due, at: due, reason: 'overlap' });
    scheduler.events.emit({ type: 'schedule:skip', task: 'hourly', scheduledAt: due, at: due, reason: 'disabled' });
    const samples = await read(registry);
    expect(valueOf(samples, 'schedule_fires_total', { task: 'nightly' })).toBe(2);
    expect(valueOf(samples, 'schedule_missed_total', { task: 'nightly' })).toBe(3);
    expect(valueOf(samples, 'schedule_skipped_total', { task: 'nightly', reason: 'overlap' })).toBe(1);
    expect(valueOf(samples, 'schedule_skipped_total', { task: 'hourly', reason: 'disabled' })).toBe(1);
    expect(valueOf(samples, 'schedule_fires_total', { task: 'hourly' })).toBe(0);
    expect(valueOf(samples, 'schedule_lag_seconds', { task: 'nightly' })).toBe(0.25);
    expect(valueOf(samples, 'schedule_last_fire_timestamp_seconds', { task: 'nightly' })).toBe((due + 86_400_250) / 1000);
    expect(valueOf(samples, 'schedule_lag_seconds', { task: 'hourly' })).toBeUndefined();
    detach();
  });

  test('a schedule with no next fire shows as schedule_stalled 1 until it fires again', async () => {
    const registry = new Registry();
    const scheduler = { events: new EventBus() };
    const detach = instrument(scheduler, { registry });
    const at = Date.UTC(2030, 0, 1);
    expect(valueOf(await read(registry), 'schedule_stalled', { task: 'yearly' })).toBeUndefined();
    scheduler.events.emit({ type: 'schedule:stall', task: 'yearly', scheduledAt: at, at, cron: '0 0 1 1 *', timezone: 'UTC' });
    expect(valueOf(await read(registry), 'schedule_stalled', { task: 'yearly' })).toBe(1);
    scheduler.events.emit({ type: 'schedule:fire', task: 'yearly', scheduledAt: at + 1000, at: at + 1000, lagMs: 0 });
    expect(valueOf(await read(registry), 'schedule_stalled', { task: 'yearly' })).toBe(0);
    detach();
  });

  test('a metric name taken by something else is a CASCADENCE_METRICS_CONFLICT, and nothing is registered', () => {
    const registry = new Registry();
    new Counter({ name: 'task_retries_total', help: 'mine', registers: [registry] });
    let error: unknown;
    try {
      instrument(newEngine(), { registry });
    } catch (e) {
      error = e;
    }
    expect(CascadenceError.isInstance(error, MetricsErrorCode.CONFLICT)).toBe(true);
    expect((error as Error).message).toContain('"task_retries_total"');
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['task_retries_total']);
    // A prefix sidesteps the clash.
    const detach = instrument(newEngine(), { registry, prefix: 'cascadence_' });
    expect(registry.getSingleMetric('cascadence_task_retries_total')).toBeDefined();
    detach();
  });

  test('other buckets than the registered ones are a conflict; the same ones are fine', () => {
    const registry = new Registry();
    instrument(newEngine(), { registry, buckets: [0.1, 1, 10] })();
    expect(() => instrument(newEngine(), { registry, buckets: [0.1, 1, 10] })).not.toThrow();
    expect(() => instrument(newEngine(), { registry })).not.toThrow();
    expect(() => instrument(newEngine(), { registry, buckets: [1, 2] })).toThrow(/already registered with buckets \[0\.1, 1, 10\]/);
  });

  test('custom buckets and prefix show in the output', async () => {
    const metrics = createMetrics({ prefix: 'cd_', buckets: [0.5, 5] });
    const engine = newEngine();
    metrics.instrument(engine);
    await engine.run(ok);
    const samples = parseMetrics(await metrics.text());
    expect(samplesOf(samples, 'cd_task_latency_seconds_bucket', { task: 'ok' }).map((s) => s.labels.le)).toEqual(['0.5', '5', '+Inf']);
    expect(valueOf(samples, 'cd_task_success_total', lone('ok'))).toBe(1);
    expect(samplesOf(samples, 'task_success_total')).toHaveLength(0);
  });

  test.each([
    [{ prefix: '9bad' }, 'option "prefix"'],
    [{ prefix: 'has space_' }, 'option "prefix"'],
    [{ buckets: [] }, 'option "buckets"'],
    [{ buckets: [1, 1] }, 'option "buckets"'],
    [{ buckets: [2, 1] }, 'option "buckets"'],
    [{ buckets: [1, Infinity] }, 'option "buckets"'],
  ])('bad options %j are refused', (options, message) => {
    expect(() => instrument(newEngine(), { registry: new Registry(), ...(options as object) })).toThrow(message);
  });

  test('a target without events is refused, naming it', () => {
    expect(() => instrument({ name: 'temporal' } as never, { registry: new Registry() })).toThrow(/"temporal" has no "events" bus/);
    expect(() => instrument({} as never, { registry: new Registry() })).toThrow(
      expect.objectContaining({ code: 'CASCADENCE_METRICS_NO_EVENTS' }),
    );
  });

  test('registry.resetMetrics() zeroes counters and histograms, keeps in-progress', async () => {
    const registry = new Registry();
    const engine = newEngine();
    const detach = instrument(engine, { registry });
    await engine.run(ok);
    registry.resetMetrics();
    let samples = await read(registry);
    expect(valueOf(samples, 'task_success_total', lone('ok'))).toBe(0);
    expect(samplesOf(samples, 'task_latency_seconds_count')).toHaveLength(0);
    await engine.run(ok);
    samples = await read(registry);
    expect(valueOf(samples, 'task_success_total', lone('ok'))).toBe(1);
    expect(valueOf(samples, 'task_latency_seconds_count', { ...lone('ok'), status: 'succeeded' })).toBe(1);
    detach();
  });

  test('getMetricsAsJSON sees the same values', async () => {
    const registry = new Registry();
    const engine = newEngine();
    const detach = instrument(engine, { registry });
    await engine.run(ok);
    const json = await registry.getMetricsAsJSON();
    const success = json.find((m) => m.name === 'task_success_total');
    expect(success?.values).toEqual([{ labels: lone('ok'), value: 1 }]);
    const latency = json.find((m) => m.name === 'task_latency_seconds');
    expect(latency?.values.find((v) => (v as { metricName?: string }).metricName === 'task_latency_seconds_count')).toMatchObject({
      labels: { ...lone('ok'), status: 'succeeded' },
      value: 1,
    });
    detach();
  });

  test('default process metrics are opt-in', async () => {
    const without = createMetrics();
    expect(await without.text()).not.toContain('process_cpu_user_seconds_total');
    const registry = new Registry();
    const withDefaults = createMetrics({ registry, collectDefault: true });
    expect(await withDefaults.text()).toContain('process_cpu_user_seconds_total');
    // Asking twice for one registry does not throw "already registered".
    expect(() => createMetrics({ registry, collectDefault: true })).not.toThrow();
  });

  test('createMetrics registers the metrics at once, so they show before the first run', async () => {
    const text = await createMetrics().text();
    expect(text).toContain('# TYPE task_success_total counter');
    expect(text).toContain('# TYPE task_latency_seconds histogram');
    expect(text).toContain('# TYPE schedule_lag_seconds gauge');
  });
});
