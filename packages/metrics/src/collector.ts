import { CascadenceError } from '@cascadence/core';
import { DEFAULT_LATENCY_BUCKETS, METRICS, type MetricKey } from './definitions';
import { MetricsErrorCode } from './errors';
import { registerCustomMetric } from './prom-client-internals';
import type { MetricsRegistry } from './registry';
import {
  F_BUCKETS,
  F_COUNT,
  F_IN_PROGRESS,
  F_SUCCESS,
  F_SUM,
  isStore,
  MetricsStore,
  MAP_ITEM_STATUSES,
  SCHEDULE_SKIP_REASONS,
  SKIP_REASONS,
  type Labels,
} from './store';

/** Property of every collector metric pointing to its store (shared by every copy of this package). */
const STORE_REF = Symbol.for('cascadence.metrics.storeRef');

interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
  sharedLabels?: Labels;
}

/**
 * A prom-client metric (it quacks like one: name, help, type, aggregator, get, reset) whose
 * values are read from a MetricsStore when the registry is scraped.
 */
class StoreMetric {
  readonly [STORE_REF]: MetricsStore;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  readonly aggregator: 'sum' | 'max';
  private leLabels: Labels[] | undefined;

  constructor(
    store: MetricsStore,
    private readonly key: MetricKey,
    public name: string,
  ) {
    const def = METRICS[key];
    this[STORE_REF] = store;
    this.help = def.help;
    this.type = def.type;
    this.labelNames = def.labelNames;
    this.aggregator = key === 'scheduleLag' || key === 'scheduleLastFire' ? 'max' : 'sum';
  }

  /** prom-client's text formatter prefers this form: histogram labels shared, not copied. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values(true) };
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values(false) };
  }

  /** `registry.resetMetrics()`: counters and histograms restart from zero; in-progress is live state and stays. */
  reset(): void {
    const store = this[STORE_REF];
    switch (this.key) {
      case 'success':
        store.zero(F_SUCCESS);
        break;
      case 'failure':
        store.zero(store.tailField('failed'));
        store.zero(store.tailField('cancelled'));
        break;
      case 'retries':
        store.zero(store.tailField('retries'));
        break;
      case 'skipped':
        store.zero(store.tailField('skipped'), SKIP_REASONS.length);
        break;
      case 'mapItems':
        store.zero(store.tailField('mapItems'), MAP_ITEM_STATUSES.length);
        break;
      case 'latency':
        store.zero(F_COUNT, store.tail - F_COUNT);
        store.failedLatency.clear();
        store.cancelledLatency.clear();
        break;
      default:
        break;
    }
    for (const s of store.schedules.values()) {
      switch (this.key) {
        case 'scheduleFires':
          s.fires = 0;
          break;
        case 'scheduleMissed':
          s.missed = 0;
          break;
        case 'scheduleSkipped':
          s.skipped.fill(0);
          break;
        case 'scheduleLag':
          s.lagSeconds = Number.NaN;
          break;
        case 'scheduleLastFire':
          s.lastFireSeconds = Number.NaN;
          break;
        case 'scheduleStalled':
          s.stalled = Number.NaN;
          break;
        default:
          break;
      }
    }
  }

  private values(shared: boolean): Sample[] {
    const store = this[STORE_REF];
    const out: Sample[] = [];
    const n = store.size;
    switch (this.key) {
      case 'success':
        for (let i = 0; i < n; i++) out.push({ labels: store.labels(i), value: store.field(i, F_SUCCESS) });
        break;
      case 'failure': {
        const failed = store.tailField('failed');
        const cancelled = store.tailField('cancelled');
        for (let i = 0; i < n; i++) {
          out.push({ labels: store.labels(i, 'status', 'failed'), value: store.field(i, failed) });
          const c = store.field(i, cancelled);
          if (c > 0) out.push({ labels: store.labels(i, 'status', 'cancelled'), value: c });
        }
        break;
      }
      case 'retries': {
        const retries = store.tailField('retries');
        for (let i = 0; i < n; i++) out.push({ labels: store.labels(i), value: store.field(i, retries) });
        break;
      }
      case 'skipped':
        for (let i = 0; i < n; i++) {
          for (let r = 0; r < SKIP_REASONS.length; r++) {
            const value = store.field(i, store.tailField('skipped', r));
            if (value > 0) out.push({ labels: store.labels(i, 'reason', SKIP_REASONS[r] as string), value });
          }
        }
        break;
      case 'mapItems':
        for (let i = 0; i < n; i++) {
          for (let s = 0; s < MAP_ITEM_STATUSES.length; s++) {
            const value = store.field(i, store.tailField('mapItems', s));
            if (value > 0) out.push({ labels: store.labels(i, 'status', MAP_ITEM_STATUSES[s] as string), value });
          }
        }
        break;
      case 'inProgress':
        for (let i = 0; i < n; i++) out.push({ labels: store.labels(i), value: store.field(i, F_IN_PROGRESS) });
        break;
      case 'latency': {
        const nb = store.bounds.length + 1;
        for (let i = 0; i < n; i++) {
          const count = store.field(i, F_COUNT);
          if (count > 0) {
            const base = i * store.stride;
            this.histogram(
              out,
              store.labels(i, 'status', 'succeeded'),
              store.data.subarray(base + F_BUCKETS, base + F_BUCKETS + nb),
              store.field(i, F_SUM),
              count,
              shared,
            );
          }
          const failed = store.failedLatency.get(i);
          if (failed !== undefined && failed.count > 0)
            this.histogram(out, store.labels(i, 'status', 'failed'), failed.counts, failed.sum, failed.count, shared);
          const cancelled = store.cancelledLatency.get(i);
          if (cancelled !== undefined && cancelled.count > 0)
            this.histogram(out, store.labels(i, 'status', 'cancelled'), cancelled.counts, cancelled.sum, cancelled.count, shared);
        }
        break;
      }
      case 'scheduleFires':
        for (const s of store.schedules.values()) out.push({ labels: s.labels, value: s.fires });
        break;
      case 'scheduleMissed':
        for (const s of store.schedules.values()) out.push({ labels: s.labels, value: s.missed });
        break;
      case 'scheduleSkipped':
        for (const s of store.schedules.values()) {
          for (let r = 0; r < SCHEDULE_SKIP_REASONS.length; r++) {
            const value = s.skipped[r] as number;
            if (value > 0) out.push({ labels: s.skipLabels[r] as Labels, value });
          }
        }
        break;
      case 'scheduleLag':
        for (const s of store.schedules.values()) if (!Number.isNaN(s.lagSeconds)) out.push({ labels: s.labels, value: s.lagSeconds });
        break;
      case 'scheduleLastFire':
        for (const s of store.schedules.values())
          if (!Number.isNaN(s.lastFireSeconds)) out.push({ labels: s.labels, value: s.lastFireSeconds });
        break;
      case 'scheduleStalled':
        for (const s of store.schedules.values()) if (!Number.isNaN(s.stalled)) out.push({ labels: s.labels, value: s.stalled });
        break;
    }
    return out;
  }

  private histogram(out: Sample[], labels: Labels, counts: Float64Array, sum: number, count: number, shared: boolean): void {
    const bounds = this[STORE_REF].buckets;
    this.leLabels ??= [...bounds.map((b) => ({ le: String(b) })), { le: '+Inf' }];
    const bucketName = `${this.name}_bucket`;
    let cumulative = 0;
    for (let b = 0; b <= bounds.length; b++) {
      cumulative += counts[b] as number;
      const le = this.leLabels[b] as Labels;
      out.push(
        shared
          ? { labels: le, sharedLabels: labels, value: cumulative, metricName: bucketName }
          : { labels: { ...labels, ...le }, value: cumulative, metricName: bucketName },
      );
    }
    if (shared) {
      out.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      out.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count` });
    } else {
      out.push({ labels, value: sum, metricName: `${this.name}_sum` });
      out.push({ labels, value: count, metricName: `${this.name}_count` });
    }
  }
}

/**
 * Finds the store already registered in `registry` under `prefix`, or registers a new one. Every
 * name is checked before anything is registered: a conflict leaves the registry untouched.
 */
export function storeFor(registry: MetricsRegistry, prefix: string, buckets: readonly number[] | undefined): MetricsStore {
  const keys = Object.keys(METRICS) as MetricKey[];
  let store: MetricsStore | undefined;
  for (const key of keys) {
    const name = prefix + METRICS[key].name;
    const existing = registry.getSingleMetric(name) as unknown as Record<symbol, unknown> | undefined;
    if (existing === undefined) continue;
    const found = existing[STORE_REF];
    if (!isStore(found)) {
      throw new CascadenceError(
        MetricsErrorCode.CONFLICT,
        `metric "${name}" is already registered in this registry by something other than @cascadence/metrics`,
        {
          details: { metric: name },
          suggestions: [
            'remove it (registry.removeSingleMetric) or give Cascadence metrics a prefix: instrument(target, { prefix: "cascadence_" })',
          ],
        },
      );
    }
    if (store !== undefined && store !== found) {
      throw new CascadenceError(
        MetricsErrorCode.CONFLICT,
        `metric "${name}" belongs to another Cascadence instrumentation than the other metrics of this registry`,
        {
          details: { metric: name },
        },
      );
    }
    store = found;
  }
  if (store !== undefined && buckets !== undefined && !sameNumbers(store.buckets, buckets)) {
    throw new CascadenceError(
      MetricsErrorCode.CONFLICT,
      `metric "${prefix}${METRICS.latency.name}" is already registered with buckets [${store.buckets.join(', ')}], not [${buckets.join(', ')}]`,
      {
        details: { metric: prefix + METRICS.latency.name, buckets: store.buckets },
        suggestions: ['use the same buckets for every instrument() call on one registry, or leave them out'],
      },
    );
  }
  store ??= new MetricsStore(buckets ?? DEFAULT_LATENCY_BUCKETS);
  for (const key of keys) {
    const name = prefix + METRICS[key].name;
    if (registry.getSingleMetric(name) === undefined) {
      registerCustomMetric(registry, new StoreMetric(store, key, name));
    }
  }
  return store;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
