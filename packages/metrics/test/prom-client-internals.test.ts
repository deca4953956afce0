/**
 * The prom-client behaviour this package relies on beyond its typed API, checked against the
 * pinned version. If a prom-client upgrade breaks one of these, fix src/prom-client-internals.ts.
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { defaultLabelsOf, readForText, registerCustomMetric, type CustomMetric, type MetricSnapshot } from '../src/prom-client-internals';

const pinned = (JSON.parse(readFileSync(require.resolve('../package.json'), 'utf8')) as { dependencies: Record<string, string> })
  .dependencies['prom-client'];

function customCounter(calls: string[]): CustomMetric {
  const snapshot = (via: string): MetricSnapshot => {
    calls.push(via);
    return { name: 'jobs_total', help: 'Jobs done.', type: 'counter', aggregator: 'sum', values: [{ labels: { queue: 'a' }, value: 3 }] };
  };
  return {
    name: 'jobs_total',
    help: 'Jobs done.',
    type: 'counter',
    aggregator: 'sum',
    get: async () => snapshot('get'),
    getForPromString: async () => snapshot('getForPromString'),
    reset: () => {},
  };
}

describe(`prom-client ${pinned}: what @cascadence/metrics relies on`, () => {
  it('the installed prom-client is the pinned one', () => {
    const installed = (JSON.parse(readFileSync(require.resolve('prom-client/package.json'), 'utf8')) as { version: string }).version;
    expect(installed).toBe(pinned);
  });

  it('a registered custom metric object is scraped, through getForPromString for the text format and get() for JSON', async () => {
    const registry = new Registry();
    const calls: string[] = [];
    registerCustomMetric(registry, customCounter(calls));
    const text = await registry.metrics();
    expect(text).toContain('# HELP jobs_total Jobs done.');
    expect(text).toContain('# TYPE jobs_total counter');
    expect(text).toContain('jobs_total{queue="a"} 3');
    expect(calls).toEqual(['getForPromString']);
    const json = await registry.getMetricsAsJSON();
    expect(json).toEqual([expect.objectContaining({ name: 'jobs_total', values: [{ labels: { queue: 'a' }, value: 3 }] })]);
    expect(calls).toEqual(['getForPromString', 'get']);
    expect(registry.getSingleMetric('jobs_total')).toBeDefined();
  });

  it('readForText prefers getForPromString and falls back to get', async () => {
    const calls: string[] = [];
    const metric = customCounter(calls);
    await readForText(metric);
    await readForText({ ...metric, getForPromString: undefined });
    expect(calls).toEqual(['getForPromString', 'get']);
  });

  it('default labels set with setDefaultLabels are read back from _defaultLabels', () => {
    const registry = new Registry();
    expect(defaultLabelsOf(registry)).toEqual({});
    registry.setDefaultLabels({ service: 'etl', region: 'eu' });
    expect(defaultLabelsOf(registry)).toEqual({ service: 'etl', region: 'eu' });
  });
});
