import type { MetricsRegistry } from './registry';

// Everything this package relies on in prom-client beyond its typed public API, in one place,
// with a contract test against the pinned version (test/prom-client-internals.test.ts): a
// prom-client upgrade that changes any of it fails that test, not a scrape in production.

/** What prom-client reads from a metric when rendering or listing a registry. */
export interface MetricSnapshot {
  name: string;
  help?: string;
  type: string;
  aggregator?: string;
  values?: Array<{
    labels?: Record<string, string | number>;
    value?: number;
    metricName?: string;
    sharedLabels?: Record<string, string | number>;
  }>;
}

/**
 * A metric prom-client does not implement: any object with `name`, `help`, `type`,
 * `aggregator`, `get()` and `reset()` is registered and scraped like its own. Its text
 * formatter prefers `getForPromString()` when present (histogram labels shared, not copied).
 */
export interface CustomMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  get(): Promise<MetricSnapshot>;
  getForPromString?(): Promise<MetricSnapshot>;
  reset(): void;
}

/** Registers a metric object prom-client did not make (its types accept only its own classes). */
export function registerCustomMetric(registry: MetricsRegistry, metric: CustomMetric): void {
  registry.registerMetric(metric as unknown as Parameters<MetricsRegistry['registerMetric']>[0]);
}

/** A registered metric's values in the form the text formatter reads (`getForPromString` first). */
export async function readForText(metric: unknown): Promise<MetricSnapshot> {
  const m = metric as { getForPromString?: () => Promise<MetricSnapshot>; get: () => Promise<MetricSnapshot> };
  return typeof m.getForPromString === 'function' ? m.getForPromString() : m.get();
}

/** The registry's default labels: prom-client has a setter and no getter; they live in `_defaultLabels`. */
export function defaultLabelsOf(registry: MetricsRegistry): Record<string, string> | undefined {
  const defaults = (registry as unknown as { _defaultLabels?: unknown })._defaultLabels;
  return typeof defaults === 'object' && defaults !== null ? (defaults as Record<string, string>) : undefined;
}
