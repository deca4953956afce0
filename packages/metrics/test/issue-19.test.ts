// Issue 19: ctx.skip (a `self` skip) and map steps (task_map_items_total).
import { defineFlow, Engine, silentLogger } from '@cascadence/core';
import { Registry } from 'prom-client';
import { instrument, metricsText } from '../src';
import { parseMetrics, valueOf } from './helpers';

test('a self-skipped step: task_skipped_total{reason="self"} and tasks_in_progress back to 0', async () => {
  const registry = new Registry();
  const engine = new Engine({ logger: silentLogger });
  instrument(engine, { registry });
  const flow = defineFlow({ name: 'maybe', steps: { check: { run: async (ctx) => ctx.skip('nothing new') } } });
  await engine.run(flow);
  const samples = parseMetrics(await metricsText(registry));
  const labels = { task: 'check', flow: 'maybe', step: 'check' };
  expect(valueOf(samples, 'task_skipped_total', { ...labels, reason: 'self' })).toBe(1);
  expect(valueOf(samples, 'tasks_in_progress', labels)).toBe(0);
});

test('map steps: task_map_items_total counts items by status, one series per step and status', async () => {
  const registry = new Registry();
  const engine = new Engine({ logger: silentLogger });
  instrument(engine, { registry });
  const flow = defineFlow({
    name: 'fan',
    steps: {
      each: {
        map: () => [1, 2, 3, 4],
        retry: { attempts: 2, delayMs: 0 },
        run: (ctx, n: number) => {
          if (n === 3) throw new Error('three');
          if (n === 4) ctx.skip('four');
          return n;
        },
      },
    },
  });
  await engine.run(flow);
  const samples = parseMetrics(await metricsText(registry));
  const labels = { task: 'each', flow: 'fan', step: 'each' };
  expect(valueOf(samples, 'task_map_items_total', { ...labels, status: 'succeeded' })).toBe(2);
  expect(valueOf(samples, 'task_map_items_total', { ...labels, status: 'failed' })).toBe(1);
  expect(valueOf(samples, 'task_map_items_total', { ...labels, status: 'skipped' })).toBe(1);
  expect(valueOf(samples, 'task_retries_total', labels)).toBe(0);
});
