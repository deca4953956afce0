/**
 * Where instrumentation counts. The hot path (one engine event) only bumps numbers in one
 * Float64Array at a slot found through a Map; prom-client sees the numbers when the registry is read,
 * through the collector metrics (collector.ts). That keeps the per-step cost a few tens of nanoseconds,
 * where prom-client's own `labels().inc()/observe()` hash the label object on every call.
 */

/** Brand of a store, shared by every copy of this package loaded in one process. */
const STORE_BRAND = Symbol.for('cascadence.metrics.store');
/** Bumped when the shape of the store changes incompatibly. */
const STORE_VERSION = 1;

export const STATUS_SUCCEEDED = 0;
export const STATUS_FAILED = 1;
export const STATUS_CANCELLED = 2;

export const SKIP_REASONS = ['upstream-failed', 'trigger-rule', 'fail-fast', 'disabled', 'self'] as const;
export const SCHEDULE_SKIP_REASONS = ['overlap', 'disabled', 'paused'] as const;
/** How a map step's item ended (the `status` label of task_map_items_total). */
export const MAP_ITEM_STATUSES = ['succeeded', 'failed', 'skipped'] as const;

export type Labels = Record<string, string>;

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
const T_SKIPPED = 3; // one per reason, SKIP_REASONS order
const T_MAP_ITEMS = T_SKIPPED + SKIP_REASONS.length; // one per status, MAP_ITEM_STATUSES order
const TAIL_FIELDS = T_MAP_ITEMS + MAP_ITEM_STATUSES.length;

/** Count, sum and buckets of a failed or cancelled histogram (rare: kept out of the hot array). */
export class SideHistogram {
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
  /** NaN until a schedule:stall event (then 1, and 0 once it fires again). */
  stalled = Number.NaN;
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

  addMapItem(i: number, status: number): void {
    this.data[i * this.stride + this.tail + T_MAP_ITEMS + status]!++;
  }

  /** Reads field `offset` (F_* or tail-relative via `tailField`) of slot `i`. */
  field(i: number, offset: number): number {
    return this.data[i * this.stride + offset] as number;
  }

  tailField(name: 'failed' | 'cancelled' | 'retries' | 'skipped' | 'mapItems', extra = 0): number {
    const t =
      name === 'failed'
        ? T_FAILED
        : name === 'cancelled'
          ? T_CANCELLED
          : name === 'retries'
            ? T_RETRIES
            : name === 'mapItems'
              ? T_MAP_ITEMS + extra
              : T_SKIPPED + extra;
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

/** True for a MetricsStore of this version from any copy of this package. */
export function isStore(value: unknown): value is MetricsStore {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STORE_BRAND] === STORE_VERSION;
}
