import { CascadenceError, type EngineEventOf, type EventBus } from '@cascadence/core';
import { register as globalRegistry } from 'prom-client';
import { METRIC_NAME_PREFIX } from './definitions';
import { MetricsErrorCode } from './errors';
import {
  F_IN_PROGRESS,
  F_SUCCESS,
  SCHEDULE_SKIP_REASONS,
  SKIP_REASONS,
  MAP_ITEM_STATUSES,
  STATUS_CANCELLED,
  STATUS_FAILED,
  STATUS_SUCCEEDED,
  type MetricsStore,
} from './store';
import { storeFor } from './collector';
import type { MetricsRegistry } from './registry';

/** Anything with a Cascadence event bus: an Engine, an ExecutionBackend, a scheduler. */
export interface InstrumentTarget {
  readonly events?: EventBus | undefined;
  /** Used in error messages (backends have one). */
  readonly name?: string;
}

export interface InstrumentOptions {
  /** prom-client registry to register the metrics in. Default: prom-client's global `register`. */
  registry?: MetricsRegistry;
  /** Prepended to every metric name, e.g. `cascadence_`. Default: none. */
  prefix?: string;
  /** Upper bounds (seconds) of `task_latency_seconds`; default DEFAULT_LATENCY_BUCKETS. */
  buckets?: readonly number[];
}

/** Stops counting events of the target; calling it again does nothing. */
export type Detach = () => void;

/**
 * Counts the target's lifecycle events into Prometheus metrics, subscribing with
 * `target.events.on(...)` only. Returns the function that detaches it again.
 *
 * Instrumenting several targets into one registry shares the metrics; instrumenting the same
 * event bus twice (a LocalBackend and its Engine share one) counts its events once.
 */
export function instrument(target: InstrumentTarget, options: InstrumentOptions = {}): Detach {
  const events = target?.events;
  if (typeof events !== 'object' || events === null || typeof (events as EventBus).on !== 'function') {
    const what = typeof target?.name === 'string' ? `"${target.name}"` : 'the target';
    throw new CascadenceError(MetricsErrorCode.NO_EVENTS, `instrument(): ${what} has no "events" bus to subscribe to`, {
      suggestions: ['pass an Engine, a LocalBackend, a CronScheduler, or a backend that exposes lifecycle events'],
    });
  }
  const registry = options.registry ?? globalRegistry;
  const prefix = checkPrefix(options.prefix);
  const buckets = options.buckets === undefined ? undefined : checkBuckets(options.buckets);
  const store = storeFor(registry, prefix, buckets);

  let attachment = store.attachments.get(events);
  if (attachment === undefined) {
    const created = new Attachment(store, events);
    attachment = created;
    store.attachments.set(events, created);
    created.onRelease = () => store.attachments.delete(events);
  } else {
    attachment.refs++;
  }
  const held = attachment;
  let detached = false;
  return () => {
    if (detached) return;
    detached = true;
    held.release();
  };
}

export function checkPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string' || !METRIC_NAME_PREFIX.test(prefix)) {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "prefix": ${JSON.stringify(prefix)} is not a valid metric name prefix (letters, digits, _ and :, not starting with a digit)`,
      {
        details: { option: 'prefix', value: prefix },
      },
    );
  }
  return prefix;
}

export function checkBuckets(buckets: unknown): readonly number[] {
  const ok =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > (buckets[i - 1] as number)));
  if (!ok) {
    throw new CascadenceError(
      MetricsErrorCode.INVALID_OPTIONS,
      `option "buckets": expected a non-empty list of finite numbers in increasing order (seconds; +Inf is implicit), got ${JSON.stringify(buckets)}`,
      {
        details: { option: 'buckets', value: buckets },
      },
    );
  }
  return buckets as number[];
}

/** Start order of one flow's steps (slots), and the position reached in the current run. */
interface StartOrder {
  readonly slots: number[];
  pos: number;
}

/** Longest start order remembered per flow (a bigger flow just predicts its first steps). */
const MAX_ORDER = 1 << 20;

/** The subscriptions on one event bus, feeding one store. */
class Attachment {
  refs = 1;
  onRelease: (() => void) | undefined;
  /**
   * In-progress executions this attachment counted, per slot: taken back on detach (their end
   * will not be seen), and an end whose start came before the attachment is not counted down.
   */
  private inflight = new Int32Array(64);
  // The slot of the last event: a synchronous step's success follows its start directly.
  private lastFlow: string | undefined;
  private lastStep: string | undefined;
  private lastTask: string | undefined;
  private lastSlot = -1;
  /**
   * Per flow, the slots of its steps in the order they started in its last run. A flow's steps
   * usually start in the same order run after run, so a start is matched against the
   * prediction (two string comparisons) before falling back to the Map lookup.
   */
  private readonly orders = new Map<string, StartOrder>();
  private lastOrderFlow: string | undefined;
  private lastOrder: StartOrder | undefined;
  private readonly offs: Array<() => void>;

  constructor(
    private readonly store: MetricsStore,
    events: EventBus,
  ) {
    // The two events every step emits come through the bus's allocation-free observer hooks when
    // this core has them (no event object is built for them then), else as event objects.
    const hot =
      typeof events.observe === 'function'
        ? [events.observe({ stepStart: this.stepStart, stepSuccess: this.stepSuccess })]
        : [
            events.on('step:start', (e) => this.stepStart(e.flow, e.step, e.task, e.attempt)),
            events.on('step:success', (e) => this.stepSuccess(e.flow, e.step, e.task, e.attempt, e.durationMs)),
          ];
    this.offs = [
      ...hot,
      events.on('step:failure', this.onStepFailure),
      events.on('step:retry', this.onStepRetry),
      events.on('step:skip', this.onStepSkip),
      events.on('step:item', this.onStepItem),
      events.on('run:start', this.onRunStart),
      events.on('run:end', this.onRunEnd),
      events.on('schedule:fire', this.onScheduleFire),
      events.on('schedule:miss', this.onScheduleMiss),
      events.on('schedule:skip', this.onScheduleSkip),
      events.on('schedule:stall', this.onScheduleStall),
    ];
  }

  release(): void {
    if (--this.refs > 0) return;
    for (const off of this.offs) off();
    // Runs still going will never report their end here: take back what this attachment added.
    const { data, stride } = this.store;
    const n = Math.min(this.inflight.length, this.store.size);
    for (let i = 0; i < n; i++) data[i * stride + F_IN_PROGRESS]! -= this.inflight[i] as number;
    this.inflight.fill(0);
    this.onRelease?.();
  }

  private slot(flow: string | undefined, step: string, task: string): number {
    if (step === this.lastStep && flow === this.lastFlow && task === this.lastTask) return this.lastSlot;
    const i = this.store.slot(flow, step, task);
    this.lastFlow = flow;
    this.lastStep = step;
    this.lastTask = task;
    this.lastSlot = i;
    return i;
  }

  /** Slot of a first attempt's start, predicted from the flow's last run when possible. */
  private startSlot(flow: string | undefined, step: string, task: string): number {
    if (flow === undefined) return this.slot(flow, step, task);
    const order = flow === this.lastOrderFlow ? (this.lastOrder as StartOrder) : this.orderOf(flow);
    const pos = order.pos++;
    const slots = order.slots;
    let i: number;
    if (pos < slots.length) {
      i = slots[pos] as number;
      const store = this.store;
      if (store.stepOf[i] !== step || store.taskOf[i] !== task) slots[pos] = i = store.slot(flow, step, task);
    } else {
      i = this.store.slot(flow, step, task);
      if (slots.length < MAX_ORDER) slots.push(i);
    }
    this.lastFlow = flow;
    this.lastStep = step;
    this.lastTask = task;
    this.lastSlot = i;
    return i;
  }

  private orderOf(flow: string): StartOrder {
    let order = this.orders.get(flow);
    if (order === undefined) this.orders.set(flow, (order = { slots: [], pos: 0 }));
    this.lastOrderFlow = flow;
    this.lastOrder = order;
    return order;
  }

  private begin(i: number): void {
    if (i >= this.inflight.length) {
      const grown = new Int32Array(Math.max(this.inflight.length * 2, i + 1));
      grown.set(this.inflight);
      this.inflight = grown;
    }
    this.inflight[i]!++;
    this.store.data[i * this.store.stride + F_IN_PROGRESS]!++;
  }

  /** Ends an in-progress execution (ignored if it started before this attachment existed). */
  private end(i: number): void {
    if (i < this.inflight.length && (this.inflight[i] as number) > 0) {
      this.inflight[i]!--;
      this.store.data[i * this.store.stride + F_IN_PROGRESS]!--;
    }
  }

  private readonly stepStart = (flow: string | undefined, step: string, task: string, attempt: number): void => {
    // Later attempts of a step are still the same in-progress execution.
    if (attempt === 1) this.begin(this.startSlot(flow, step, task));
  };

  private readonly stepSuccess = (flow: string | undefined, step: string, task: string, _attempt: number, durationMs: number): void => {
    const i = this.slot(flow, step, task);
    this.end(i);
    this.store.data[i * this.store.stride + F_SUCCESS]!++;
    this.store.observe(i, STATUS_SUCCEEDED, durationMs / 1000);
  };

  private readonly onStepFailure = (e: EngineEventOf<'step:failure'>): void => {
    const i = this.slot(e.flow, e.step, e.task);
    this.end(i);
    this.store.observe(i, e.status === 'cancelled' ? STATUS_CANCELLED : STATUS_FAILED, e.durationMs / 1000);
  };

  private readonly onStepRetry = (e: EngineEventOf<'step:retry'>): void => {
    this.store.addRetry(this.slot(e.flow, e.step, e.task));
  };

  private readonly onStepSkip = (e: EngineEventOf<'step:skip'>): void => {
    const r = SKIP_REASONS.indexOf(e.reason);
    if (r < 0) return;
    const i = this.slot(e.flow, e.step, e.task);
    // A step that skipped itself (ctx.skip) had started: its in-progress execution ends here.
    if (e.reason === 'self') this.end(i);
    this.store.addSkip(i, r);
  };

  /** An item of a map step ended: counted per step and status (never a label per item). */
  private readonly onStepItem = (e: EngineEventOf<'step:item'>): void => {
    if (e.status === 'retrying') return;
    this.store.addMapItem(this.slot(e.flow, e.step, e.task), MAP_ITEM_STATUSES.indexOf(e.status));
  };

  // A flow is itself a task: a top-level flow run counts under task=<flow>, flow="", step=<flow>,
  // like a lone task. Nested flow runs are already counted as steps of their parent, and lone
  // task runs by their step events, so those run events are ignored.
  private readonly onRunStart = (e: EngineEventOf<'run:start'>): void => {
    if (e.kind !== 'flow') return;
    this.orderOf(e.task).pos = 0;
    if (e.parentFlow === undefined) this.begin(this.slot(undefined, e.task, e.task));
  };

  private readonly onRunEnd = (e: EngineEventOf<'run:end'>): void => {
    if (e.kind !== 'flow' || e.parentFlow !== undefined) return;
    const i = this.slot(undefined, e.task, e.task);
    this.end(i);
    if (e.status === 'succeeded') this.store.data[i * this.store.stride + F_SUCCESS]!++;
    this.store.observe(
      i,
      e.status === 'succeeded' ? STATUS_SUCCEEDED : e.status === 'cancelled' ? STATUS_CANCELLED : STATUS_FAILED,
      e.durationMs / 1000,
    );
  };

  private readonly onScheduleFire = (e: EngineEventOf<'schedule:fire'>): void => {
    const s = this.store.scheduleSeries(e.task);
    s.fires++;
    s.lagSeconds = Math.max(0, e.lagMs) / 1000;
    s.lastFireSeconds = e.at / 1000;
    if (s.stalled === 1) s.stalled = 0;
  };

  private readonly onScheduleStall = (e: EngineEventOf<'schedule:stall'>): void => {
    this.store.scheduleSeries(e.task).stalled = 1;
  };

  private readonly onScheduleMiss = (e: EngineEventOf<'schedule:miss'>): void => {
    this.store.scheduleSeries(e.task).missed += e.count;
  };

  private readonly onScheduleSkip = (e: EngineEventOf<'schedule:skip'>): void => {
    const r = SCHEDULE_SKIP_REASONS.indexOf(e.reason);
    if (r >= 0) this.store.scheduleSeries(e.task).skipped[r]!++;
  };
}
