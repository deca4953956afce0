import { CascadenceError } from '@cascadence/core';
import { DEFAULT_LATENCY_BUCKETS, METRICS, type MetricKey } from './definitions';
import { MetricsErrorCode } from './errors';
import type { MetricsRegistry } from './registry';

/**
 * Where instrumentation counts. The hot path (one engine event) only bumps numbers in one
 * Float64Array at a slot found through a Map; prom-client sees the numbers when the registry is read,
 * through the collector metrics below. That keeps the per-step cost a few tens of nanoseconds,
 * where prom-client's own `labels().inc()/observe()` hash the label object on every call.
 */

/** Brand of a store, shared by every copy of this package loaded in one process. */
const STORE_BRAND = Symbol.for('cascadence.metrics.store');
/** Bumped when the shape of the store changes incompatibly. */
const STORE_VERSION = 1;
/** Property of every collector metric pointing to its store. */
const STORE_REF = Symbol.for('cascadence.metrics.storeRef');

export const STATUS_SUCCEEDED = 0;
export const STATUS_FAILED = 1;
export const STATUS_CANCELLED = 2;

export const SKIP_REASONS = ['upstream-failed', 'trigger-rule', 'fail-fast'] as const;
export const SCHEDULE_SKIP_REASONS = ['overlap', 'disabled', 'paused'] as const;

type Labels = Record<string, string>;

/**
 * Field offsets inside one task series' slot of `MetricsStore.data`. The fields a successful
 * step touches (in progress, success, the succeeded histogram's count, sum and first buckets)
 * come first, so they share a cache line; a series is `stride` numbers long.
 */
export const F_IN_PROGRESS = 0;
export const F_SUCCESS = 1;
export const F_COUNT = 2;
export const F_SUM = 3;
/** First bucket of the succeeded histogram (non-cumulative counts; the last one is +Inf). */
export const F_BUCKETS = 4;

/** Offsets after the buckets, relative to `MetricsStore.tail`. */
const T_FAILED = 0;
const T_CANCELLED = 1;
const T_RETRIES = 2;
const T_SKIPPED = 3; // three reasons, SKIP_REASONS order
const TAIL_FIELDS = 6;

/** Count, sum and buckets of a failed or cancelled histogram (rare: kept out of the hot array). */
class SideHistogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(buckets: number) {
    this.counts = new Float64Array(buckets + 1);
  }
}

/** Numbers kept for the schedule of one task. */
export class ScheduleSeries {
  fires = 0;
  missed = 0;
  readonly skipped = [0, 0, 0];
  /** NaN until the schedule has fired once (then the gauges appear). */
  lagSeconds = Number.NaN;
  lastFireSeconds = Number.NaN;
  readonly labels: Readonly<Labels>;
  readonly skipLabels: ReadonlyArray<Readonly<Labels>>;
  constructor(task: string) {
    this.labels = { task };
    this.skipLabels = SCHEDULE_SKIP_REASONS.map((reason) => ({ task, reason }));
  }
}

/**
 * Every number of every label set, in one Float64Array (a slot of `stride` numbers per task
 * series, appended in first-seen order), found through `flow -> step -> slot` Maps.
 */
export class MetricsStore {
  readonly [STORE_BRAND] = STORE_VERSION;
  readonly buckets: readonly number[];
  /** Upper bounds as a typed array, for the bucket search on the hot path. */
  readonly bounds: Float64Array;
  /** Numbers per task series. */
  readonly stride: number;
  /** Offset of the fields after the buckets. */
  readonly tail: number;
  data: Float64Array;
  /** Number of task series. */
  size = 0;
  readonly taskOf: string[] = [];
  readonly flowOf: string[] = [];
  readonly stepOf: string[] = [];
  private readonly labelCache: Array<Map<string, Labels> | undefined> = [];
  /** flow label ("" for lone tasks and top-level flow runs) -> step -> slot. */
  private readonly index = new Map<string, Map<string, number>>();
  // Steps of one flow come in runs: remember the last flow's step map.
  private lastFlow: string | undefined = '\u0000none';
  private lastByStep: Map<string, number> | undefined;
  /** Slots whose task differs from the first one seen under the same flow and step. */
  private readonly others = new Map<string, number>();
  readonly failedLatency = new Map<number, SideHistogram>();
  readonly cancelledLatency = new Map<number, SideHistogram>();
  readonly schedules = new Map<string, ScheduleSeries>();
  /** One attachment per event bus, shared by every `instrument()` call on that bus. */
  readonly attachments = new WeakMap<object, { refs: number; release(): void }>();

  constructor(buckets: readonly number[]) {
    this.buckets = Object.freeze([...buckets]);
    this.bounds = Float64Array.from(buckets);
    this.tail = F_BUCKETS + buckets.length + 1;
    this.stride = this.tail + TAIL_FIELDS;
    this.data = new Float64Array(this.stride * 64);
  }

  /** The slot of a label set, created on first sight. */
  slot(flow: string | undefined, step: string, task: string): number {
    let byStep: Map<string, number> | undefined;
    if (flow === this.lastFlow) byStep = this.lastByStep;
    else if ((byStep = this.index.get(flow ?? '')) !== undefined) {
      this.lastFlow = flow;
      this.lastByStep = byStep;
    }
    if (byStep !== undefined) {
      const i = byStep.get(step);
      if (i !== undefined && this.taskOf[i] === task) return i;
    }
    return this.slowSlot(flow ?? '', step, task);
  }

  private slowSlot(flow: string, step: string, task: string): number {
    let byStep = this.index.get(flow);
    if (byStep === undefined) this.index.set(flow, (byStep = new Map()));
    const first = byStep.get(step);
    const key = `${task}\u0000${flow}\u0000${step}`;
    if (first !== undefined) {
      const other = this.others.get(key);
      if (other !== undefined) return other;
    }
    const i = this.size++;
    if ((i + 1) * this.stride > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.taskOf.push(task);
    this.flowOf.push(flow);
    this.stepOf.push(step);
    this.labelCache.push(undefined);
    if (first === undefined) byStep.set(step, i);
    else this.others.set(key, i);
    return i;
  }

  /** Records one finished execution of slot `i` (status: STATUS_*), `seconds` long. */
  observe(i: number, status: number, seconds: number): void {
    const bounds = this.bounds;
    const n = bounds.length;
    let b = 0;
    while (b < n && seconds > (bounds[b] as number)) b++;
    if (status === STATUS_SUCCEEDED) {
      const data = this.data;
      const base = i * this.stride;
      data[base + F_COUNT]!++;
      data[base + F_SUM]! += seconds;
      data[base + F_BUCKETS + b]!++;
      return;
    }
    const side = status === STATUS_FAILED ? this.failedLatency : this.cancelledLatency;
    let h = side.get(i);
    if (h === undefined) side.set(i, (h = new SideHistogram(n)));
    h.counts[b]!++;
    h.sum += seconds;
    h.count++;
    this.data[i * this.stride + this.tail + (status === STATUS_FAILED ? T_FAILED : T_CANCELLED)]!++;
  }

  addRetry(i: number): void {
    this.data[i * this.stride + this.tail + T_RETRIES]!++;
  }

  addSkip(i: number, reason: number): void {
    this.data[i * this.stride + this.tail + T_SKIPPED + reason]!++;
  }

  /** Reads field `offset` (F_* or tail-relative via `tailField`) of slot `i`. */
  field(i: number, offset: number): number {
    return this.data[i * this.stride + offset] as number;
  }

  tailField(name: 'failed' | 'cancelled' | 'retries' | 'skipped', extra = 0): number {
    const t = name === 'failed' ? T_FAILED : name === 'cancelled' ? T_CANCELLED : name === 'retries' ? T_RETRIES : T_SKIPPED + extra;
    return this.tail + t;
  }

  /** Sets field `offset` to 0 in every slot. */
  zero(offset: number, count = 1): void {
    for (let i = 0; i < this.size; i++) this.data.fill(0, i * this.stride + offset, i * this.stride + offset + count);
  }

  /** Base labels of slot `i`, plus one more label when given (cached per slot). */
  labels(i: number, name?: string, value?: string): Labels {
    let cache = this.labelCache[i];
    if (cache === undefined) this.labelCache[i] = cache = new Map();
    const key = name === undefined ? '' : `${name}=${value}`;
    let labels = cache.get(key);
    if (labels === undefined) {
      labels = { task: this.taskOf[i] as string, flow: this.flowOf[i] as string, step: this.stepOf[i] as string };
      if (name !== undefined) labels[name] = value as string;
      cache.set(key, labels);
    }
    return labels;
  }

  scheduleSeries(task: string): ScheduleSeries {
    let series = this.schedules.get(task);
    if (series === undefined) this.schedules.set(task, (series = new ScheduleSeries(task)));
    return series;
  }
}

function isStore(value: unknown): value is MetricsStore {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STORE_BRAND] === STORE_VERSION;
}

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
      case 'success': store.zero(F_SUCCESS); break;
      case 'failure': store.zero(store.tailField('failed')); store.zero(store.tailField('cancelled')); break;
      case 'retries': store.zero(store.tailField('retries')); break;
      case 'skipped': store.zero(store.tailField('skipped'), SKIP_REASONS.length); break;
      case 'latency':
        store.zero(F_COUNT, store.tail - F_COUNT);
        store.failedLatency.clear();
        store.cancelledLatency.clear();
        break;
      default: break;
    }
    for (const s of store.schedules.values()) {
      switch (this.key) {
        case 'scheduleFires': s.fires = 0; break;
        case 'scheduleMissed': s.missed = 0; break;
        case 'scheduleSkipped': s.skipped.fill(0); break;
        case 'scheduleLag': s.lagSeconds = Number.NaN; break;
        case 'scheduleLastFire': s.lastFireSeconds = Number.NaN; break;
        default: break;
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
      case 'inProgress':
        for (let i = 0; i < n; i++) out.push({ labels: store.labels(i), value: store.field(i, F_IN_PROGRESS) });
        break;
      case 'latency': {
        const nb = store.bounds.length + 1;
        for (let i = 0; i < n; i++) {
          const count = store.field(i, F_COUNT);
          if (count > 0) {
            const base = i * store.stride;
            this.histogram(out, store.labels(i, 'status', 'succeeded'), store.data.subarray(base + F_BUCKETS, base + F_BUCKETS + nb), store.field(i, F_SUM), count, shared);
          }
          const failed = store.failedLatency.get(i);
          if (failed !== undefined && failed.count > 0) this.histogram(out, store.labels(i, 'status', 'failed'), failed.counts, failed.sum, failed.count, shared);
          const cancelled = store.cancelledLatency.get(i);
          if (cancelled !== undefined && cancelled.count > 0) this.histogram(out, store.labels(i, 'status', 'cancelled'), cancelled.counts, cancelled.sum, cancelled.count, shared);
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
        for (const s of store.schedules.values()) if (!Number.isNaN(s.lastFireSeconds)) out.push({ labels: s.labels, value: s.lastFireSeconds });
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
      out.push(shared ? { labels: le, sharedLabels: labels, value: cumulative, metricName: bucketName } : { labels: { ...labels, ...le }, value: cumulative, metricName: bucketName });
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
          suggestions: ['remove it (registry.removeSingleMetric) or give Cascadence metrics a prefix: instrument(target, { prefix: "cascadence_" })'],
        },
      );
    }
    if (store !== undefined && store !== found) {
      throw new CascadenceError(MetricsErrorCode.CONFLICT, `metric "${name}" belongs to another Cascadence instrumentation than the other metrics of this registry`, {
        details: { metric: name },
      });
    }
    store = found;
  }
  if (store !== undefined && buckets !== undefined && !sameNumbers(store.buckets, buckets)) {
    throw new CascadenceError(
      MetricsErrorCode.CONFLICT,
      `metric "${prefix}${METRICS.latency.name}" is already registered with buckets [${store.buckets.join(', ')}], not [${buckets.join(', ')}]`,
      { details: { metric: prefix + METRICS.latency.name, buckets: store.buckets }, suggestions: ['use the same buckets for every instrument() call on one registry, or leave them out'] },
    );
  }
  store ??= new MetricsStore(buckets ?? DEFAULT_LATENCY_BUCKETS);
  for (const key of keys) {
    const name = prefix + METRICS[key].name;
    if (registry.getSingleMetric(name) === undefined) {
      registry.registerMetric(new StoreMetric(store, key, name) as unknown as Parameters<MetricsRegistry['registerMetric']>[0]);
    }
  }
  return store;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
