// Real engine runs, real HTTP scrapes: exact counter values and histogram counts per task.
import { defineFlow, defineTask, Engine, silentLogger } from '@cascadence/core';
import { createMetrics, DEFAULT_LATENCY_BUCKETS, type MetricsServer } from '../src';
import { gate, samplesOf, scrape, valueOf, type ParsedSample } from './helpers';

const lone = (task: string) => ({ task, flow: '', step: task });

describe('metrics of real engine runs, scraped over HTTP', () => {
  let server: MetricsServer;
  let samples: ParsedSample[];
  const metrics = createMetrics();
  const engine = new Engine({ logger: silentLogger });
  metrics.instrument(engine);

  const ok = defineTask({ name: 'ok', run: () => 'fine' });
  const boom = defineTask({
    name: 'boom',
    run: () => {
      throw new Error('boom');
    },
  });
  let flakyCalls = 0;
  const flaky = defineTask({
    name: 'flaky',
    retry: { attempts: 3, backoff: 'fixed', delayMs: 1 },
    run: () => {
      flakyCalls++;
      if (flakyCalls % 3 !== 0) throw new Error(`flaky attempt ${flakyCalls}`);
      return 'third time lucky';
    },
  });
  // Busy-waits 30 ms on the clock the engine measures with: a lower bound no timer rounding can undercut.
  const slow = defineTask({
    name: 'slow',
    run: () => {
      const end = performance.now() + 30;
      while (performance.now() < end);
    },
  });
  const pipeline = defineFlow({
    name: 'pipeline',
    steps: {
      extract: { task: ok },
      transform: { task: boom, needs: ['extract'] },
      load: { task: ok, needs: ['transform'] },
      publish: { task: ok, needs: ['load'] },
      cleanup: { task: ok, needs: ['transform'], when: 'all-done' },
      alert: { task: ok, needs: ['transform'], when: 'any-failed' },
      celebrate: { task: ok, needs: ['extract'], when: 'any-failed' },
      retrying: { task: flaky },
    },
  });

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) expect((await engine.run(ok)).status).toBe('succeeded');
    for (let i = 0; i < 2; i++) expect((await engine.run(boom)).status).toBe('failed');
    expect((await engine.run(flaky)).status).toBe('succeeded'); // 2 retries, then success
    expect((await engine.run(slow)).status).toBe('succeeded');
    expect((await engine.run(pipeline)).status).toBe('failed'); // flaky: 2 more retries inside
    server = await metrics.serve({ port: 0, host: '127.0.0.1' });
    samples = await scrape(server.url);
  });

  afterAll(async () => {
    await server.close();
  });

  test('lone tasks count under task=<name>, flow="", step=<name>', () => {
    expect(valueOf(samples, 'task_success_total', lone('ok'))).toBe(3);
    expect(valueOf(samples, 'task_failure_total', { ...lone('ok'), status: 'failed' })).toBe(0);
    expect(valueOf(samples, 'task_success_total', lone('boom'))).toBe(0);
    expect(valueOf(samples, 'task_failure_total', { ...lone('boom'), status: 'failed' })).toBe(2);
    expect(valueOf(samples, 'task_success_total', lone('flaky'))).toBe(1);
    expect(valueOf(samples, 'task_retries_total', lone('flaky'))).toBe(2);
    expect(valueOf(samples, 'task_retries_total', lone('ok'))).toBe(0);
    expect(valueOf(samples, 'task_success_total', lone('slow'))).toBe(1);
  });

  test('flow steps count under their flow and step, with the task behind them', () => {
    const step = (step: string, task = 'ok') => ({ task, flow: 'pipeline', step });
    expect(valueOf(samples, 'task_success_total', step('extract'))).toBe(1);
    expect(valueOf(samples, 'task_failure_total', { ...step('transform', 'boom'), status: 'failed' })).toBe(1);
    expect(valueOf(samples, 'task_success_total', step('cleanup'))).toBe(1);
    expect(valueOf(samples, 'task_success_total', step('alert'))).toBe(1);
    expect(valueOf(samples, 'task_success_total', step('retrying', 'flaky'))).toBe(1);
    expect(valueOf(samples, 'task_retries_total', step('retrying', 'flaky'))).toBe(2);
    // Skipped steps: never started, counted by reason only.
    expect(valueOf(samples, 'task_skipped_total', { ...step('load'), reason: 'upstream-failed' })).toBe(1);
    expect(valueOf(samples, 'task_skipped_total', { ...step('publish'), reason: 'upstream-failed' })).toBe(1);
    expect(valueOf(samples, 'task_skipped_total', { ...step('celebrate'), reason: 'trigger-rule' })).toBe(1);
    expect(valueOf(samples, 'task_success_total', step('load'))).toBe(0);
    expect(samplesOf(samples, 'task_skipped_total')).toHaveLength(3);
    expect(samplesOf(samples, 'task_latency_seconds_count', { flow: 'pipeline', step: 'load' })).toHaveLength(0);
  });

  test('a top-level flow run counts as a task of its own (flow="")', () => {
    expect(valueOf(samples, 'task_failure_total', { ...lone('pipeline'), status: 'failed' })).toBe(1);
    expect(valueOf(samples, 'task_success_total', lone('pipeline'))).toBe(0);
    expect(valueOf(samples, 'task_latency_seconds_count', { ...lone('pipeline'), status: 'failed' })).toBe(1);
  });

  test('histogram counts per task and status match the counters, buckets are cumulative', () => {
    const count = (labels: Record<string, string>) => valueOf(samples, 'task_latency_seconds_count', labels);
    expect(count({ ...lone('ok'), status: 'succeeded' })).toBe(3);
    expect(count({ ...lone('boom'), status: 'failed' })).toBe(2);
    expect(count({ ...lone('boom'), status: 'succeeded' })).toBeUndefined();
    expect(count({ ...lone('flaky'), status: 'succeeded' })).toBe(1);
    expect(count({ task: 'boom', flow: 'pipeline', step: 'transform', status: 'failed' })).toBe(1);

    const buckets = samplesOf(samples, 'task_latency_seconds_bucket', { ...lone('ok'), status: 'succeeded' });
    expect(buckets.map((b) => b.labels.le)).toEqual([...DEFAULT_LATENCY_BUCKETS.map(String), '+Inf']);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.value).toBe(3);
    // Every histogram's +Inf bucket equals its count.
    for (const inf of samplesOf(samples, 'task_latency_seconds_bucket', { le: '+Inf' })) {
      const { le: _le, ...labels } = inf.labels;
      expect(count(labels)).toBe(inf.value);
    }
  });

  test('latency lands in the right bucket (a 30 ms task is above the 25 ms bucket)', () => {
    const slowLabels = { ...lone('slow'), status: 'succeeded' };
    expect(valueOf(samples, 'task_latency_seconds_bucket', { ...slowLabels, le: '0.025' })).toBe(0);
    expect(valueOf(samples, 'task_latency_seconds_bucket', { ...slowLabels, le: '+Inf' })).toBe(1);
    expect(valueOf(samples, 'task_latency_seconds_sum', slowLabels)).toBeGreaterThanOrEqual(0.03);
  });

  test('nothing is left in progress once the runs are over (retries included)', () => {
    const inProgress = samplesOf(samples, 'tasks_in_progress');
    expect(inProgress.length).toBeGreaterThanOrEqual(11);
    for (const s of inProgress) expect(s.value).toBe(0);
  });

  test('no run ids or other unbounded labels', () => {
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(['flow', 'le', 'reason', 'status', 'step', 'task']);
  });

  test('tasks_in_progress rises while a task runs and falls when it ends', async () => {
    const held = gate();
    const waiting = defineTask({ name: 'waiting', run: () => held.promise });
    const flow = defineFlow({ name: 'waits', steps: { a: { task: waiting }, b: { task: waiting } } });
    const running = engine.run(flow);
    const during = await scrape(server.url);
    expect(valueOf(during, 'tasks_in_progress', { task: 'waiting', flow: 'waits', step: 'a' })).toBe(1);
    expect(valueOf(during, 'tasks_in_progress', { task: 'waiting', flow: 'waits', step: 'b' })).toBe(1);
    expect(valueOf(during, 'tasks_in_progress', lone('waits'))).toBe(1);
    held.open();
    expect((await running).status).toBe('succeeded');
    const after = await scrape(server.url);
    expect(valueOf(after, 'tasks_in_progress', { task: 'waiting', flow: 'waits', step: 'a' })).toBe(0);
    expect(valueOf(after, 'tasks_in_progress', lone('waits'))).toBe(0);
    expect(valueOf(after, 'task_success_total', lone('waits'))).toBe(1);
  });

  test('a cancelled run counts its running steps as status="cancelled"', async () => {
    const hang = defineTask({
      name: 'hang',
      run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    });
    const flow = defineFlow({ name: 'cancellable', steps: { wait: { task: hang }, after: { task: ok, needs: ['wait'] } } });
    const controller = new AbortController();
    const running = engine.run(flow, undefined, { signal: controller.signal });
    setImmediate(() => controller.abort());
    expect((await running).status).toBe('cancelled');
    const after = await scrape(server.url);
    expect(valueOf(after, 'task_failure_total', { task: 'hang', flow: 'cancellable', step: 'wait', status: 'cancelled' })).toBe(1);
    expect(valueOf(after, 'task_failure_total', { task: 'hang', flow: 'cancellable', step: 'wait', status: 'failed' })).toBe(0);
    expect(valueOf(after, 'task_failure_total', { ...lone('cancellable'), status: 'cancelled' })).toBe(1);
    expect(valueOf(after, 'tasks_in_progress', { task: 'hang', flow: 'cancellable', step: 'wait' })).toBe(0);
  });

  test('nested flows count as a step of their parent, not as a top-level run', async () => {
    const inner = defineFlow({ name: 'inner', steps: { one: { task: ok } } });
    const outer = defineFlow({ name: 'outer', steps: { sub: { task: inner } } });
    expect((await engine.run(outer)).status).toBe('succeeded');
    const after = await scrape(server.url);
    expect(valueOf(after, 'task_success_total', { task: 'inner', flow: 'outer', step: 'sub' })).toBe(1);
    expect(valueOf(after, 'task_success_total', { task: 'ok', flow: 'inner', step: 'one' })).toBe(1);
    expect(valueOf(after, 'task_success_total', lone('outer'))).toBe(1);
    expect(valueOf(after, 'task_success_total', lone('inner'))).toBeUndefined();
  });
});
