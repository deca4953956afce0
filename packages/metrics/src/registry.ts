import type { Registry, RegistryContentType } from 'prom-client';

/** A prom-client registry of either content type (Prometheus text or OpenMetrics). */
export type MetricsRegistry = Registry<RegistryContentType>;
