import { collectDefaultMetrics, Registry } from 'prom-client';
import { metricsText, type MetricsFormat } from './format';
import { checkBuckets, checkPrefix, instrument, type Detach, type InstrumentTarget } from './instrument';
import { pushMetrics, type PushOptions } from './push';
import { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server';
import { storeFor } from './collector';
import type { MetricsRegistry } from './registry';

export interface CreateMetricsOptions {
  /** Registry to use; default: a new, private one (not prom-client's global register). */
  registry?: MetricsRegistry;
  /** Prepended to every Cascadence metric name (and to the default process metrics). */
  prefix?: string;
  /** Also collect prom-client's default Node process metrics (CPU, memory, event loop, GC). Default false. */
  collectDefault?: boolean;
  /** Upper bounds of `task_latency_seconds`. */
  buckets?: readonly number[];
}

export interface Metrics {
  readonly registry: MetricsRegistry;
  /** Instruments an Engine, backend or scheduler into this registry; returns the detach function. */
  instrument(target: InstrumentTarget): Detach;
  /** Serves this registry (see startMetricsServer). */
  serve(options?: Omit<MetricsServerOptions, 'registry'>): Promise<MetricsServer>;
  /** Pushes this registry to a Pushgateway (see pushMetrics). */
  push(options: Omit<PushOptions, 'registry'>): Promise<void>;
  /** This registry as text (Prometheus format by default). */
  text(options?: { format?: MetricsFormat }): Promise<string>;
}

/**
 * One registry with everything a program (the CLI, a worker) needs: instrument targets into it,
 * serve it, push it or print it. The metrics are registered at once, so they show (empty)
 * before the first run.
 */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry: MetricsRegistry = options.registry ?? new Registry();
  const prefix = checkPrefix(options.prefix);
  const buckets = options.buckets === undefined ? undefined : checkBuckets(options.buckets);
  storeFor(registry, prefix, buckets);
  if (options.collectDefault === true && registry.getSingleMetric(`${prefix}process_cpu_user_seconds_total`) === undefined) {
    collectDefaultMetrics({ register: registry, prefix });
  }
  return {
    registry,
    instrument: (target) => instrument(target, { registry, prefix, buckets }),
    serve: (serverOptions = {}) => startMetricsServer({ ...serverOptions, registry }),
    push: (pushOptions) => pushMetrics({ ...pushOptions, registry }),
    text: (textOptions = {}) => metricsText(registry, textOptions),
  };
}
