export { createMetrics, type CreateMetricsOptions, type Metrics } from './create';
export { DEFAULT_LATENCY_BUCKETS, METRICS } from './definitions';
export { MetricsErrorCode, type MetricsErrorCodeValue } from './errors';
export {
  metricsText,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  renderMetrics,
  type MetricsFormat,
  type RenderedMetrics,
} from './format';
export { instrument, type Detach, type InstrumentOptions, type InstrumentTarget } from './instrument';
export { pushMetrics, pushUrl, type PushOptions } from './push';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server';
export type { MetricsRegistry } from './registry';
