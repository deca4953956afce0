import { register as globalRegistry, Registry } from 'prom-client';
import { defaultLabelsOf, readForText, registerCustomMetric, type MetricSnapshot } from './prom-client-internals';
import type { MetricsRegistry } from './registry';

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

export type MetricsFormat = 'prometheus' | 'openmetrics';

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/**
 * Which format an `Accept` header asks for: OpenMetrics when `application/openmetrics-text`
 * has the highest q-value (ties go to the range listed first), else the Prometheus text format.
 * Prometheus' own scrapers send `application/openmetrics-text;version=1.0.0,...;text/plain;q=0.5`.
 */
export function negotiateFormat(accept: string | undefined): MetricsFormat {
  if (accept === undefined || accept === '') return 'prometheus';
  let best: MetricsFormat = 'prometheus';
  let bestQ = -1;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      if (param.startsWith('q=')) {
        const value = Number(param.slice(2));
        q = Number.isFinite(value) ? value : 0;
      }
    }
    if (q <= 0) continue;
    let format: MetricsFormat | undefined;
    if (type === 'application/openmetrics-text') format = 'openmetrics';
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') format = 'prometheus';
    if (format !== undefined && q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}

/**
 * Renders a registry in the format asked for, whatever content type the registry was created
 * with. A registry created for OpenMetrics (`new Registry(openMetricsContentType)`) is always
 * rendered as OpenMetrics: prom-client renames its counters in place for that format.
 */
export async function renderMetrics(
  registry: MetricsRegistry = globalRegistry,
  format: MetricsFormat = 'prometheus',
): Promise<RenderedMetrics> {
  if (registry.contentType === OPENMETRICS_CONTENT_TYPE || format === 'prometheus') {
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
  return { contentType: OPENMETRICS_CONTENT_TYPE, body: await openMetricsView(registry).metrics() };
}

/** The registry's metrics as text: Prometheus text format by default (a dump for one-shot runs). */
export async function metricsText(registry: MetricsRegistry = globalRegistry, options: { format?: MetricsFormat } = {}): Promise<string> {
  return (await renderMetrics(registry, options.format)).body;
}

/**
 * An OpenMetrics registry over the same metric objects, through thin views: prom-client's
 * OpenMetrics output strips `_total` from a counter's `name` property, which must not happen
 * to the metrics of a registry that also serves the Prometheus format.
 */
function openMetricsView(registry: MetricsRegistry): MetricsRegistry {
  const view: MetricsRegistry = new Registry();
  view.setContentType(OPENMETRICS_CONTENT_TYPE);
  const defaults = defaultLabelsOf(registry);
  if (defaults !== undefined) view.setDefaultLabels(defaults);
  for (const metric of registry.getMetricsAsArray()) {
    const counter = (metric.type as unknown) === 'counter';
    const strip = (name: string): string => (counter ? name.replace(/_total$/, '') : name);
    const read = async (): Promise<MetricSnapshot> => {
      const data = await readForText(metric);
      if (!counter) return data;
      return {
        ...data,
        name: strip(data.name),
        values: data.values?.map((v) => (v.metricName === undefined ? v : { ...v, metricName: strip(v.metricName) })),
      };
    };
    const proxy = {
      name: metric.name,
      help: (metric as { help: string }).help,
      type: metric.type as unknown as string, // prom-client's enum type; its values are these strings
      aggregator: (metric as { aggregator?: string }).aggregator ?? 'sum',
      get: read,
      getForPromString: read,
      reset: () => {},
    };
    registerCustomMetric(view, proxy);
  }
  return view;
}
