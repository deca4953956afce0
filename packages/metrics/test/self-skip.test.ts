// ctx.skip(): a step that started and skipped itself counts as a `self` skip and leaves no in-progress count.
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
