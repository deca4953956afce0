import { CascadenceError, ErrorCode } from './errors';
import type { SkipReason } from './dag/status';
import type { RunResult, RunStatus, StepStatus } from './result';
import type { RunTracer } from './run-tracer';
import type { RunTrigger } from './trigger';

interface EventBase {
  runId: string;
  /** Epoch milliseconds (fractional) when the event happened. */
  at: number;
}

export interface RunStartEvent extends EventBase {
  type: 'run:start';
  /** Name of the task or flow being run. */
  task: string;
  kind: 'task' | 'flow';
  /** Set when this run is a flow nested as a step of another flow. */
  parentFlow: string | undefined;
  /** What started the run (`RunOptions.trigger`); undefined for nested flows and callers that did not say. */
  trigger: RunTrigger | undefined;
  /** The run's input, by reference (never copied). */
  input: unknown;
  /** Where the run executes outside this process, when a backend knows it (Temporal: workflow id and run id). */
  external?: { workflowId: string; workflowRunId: string | undefined };
}

export interface RunEndEvent extends EventBase {
  type: 'run:end';
  task: string;
  kind: 'task' | 'flow';
  parentFlow: string | undefined;
  status: RunStatus;
  durationMs: number;
  error: Error | undefined;
  /**
   * The run's RunResult (for a nested flow: its own result inside the parent run); absent only
   * when a backend could not start the run at all.
   */
  result?: RunResult;
}

interface StepEventBase extends EventBase {
  /** Flow the step belongs to; undefined when a task runs on its own. */
  flow: string | undefined;
  /** Step id (the task name when a task runs on its own). */
  step: string;
  /** Task behind the step: the task's name, the processor name for `uses`, the step id for `run`. */
  task: string;
  attempt: number;
}

export interface StepStartEvent extends StepEventBase {
  type: 'step:start';
}
export interface StepSuccessEvent extends StepEventBase {
  type: 'step:success';
  durationMs: number;
  /** The step's output, by reference. */
  output: unknown;
}
export interface StepFailureEvent extends StepEventBase {
  type: 'step:failure';
  durationMs: number;
  error: Error;
  /** `cancelled` when aborted by cancellation or fail-fast, else `failed`. */
  status: Extract<StepStatus, 'failed' | 'cancelled'>;
}
export interface StepRetryEvent extends StepEventBase {
  type: 'step:retry';
  durationMs: number;
  error: Error;
  /** Wait before the next attempt. */
  delayMs: number;
}
/** An item of a `map` step ended (or will be retried): one event per item attempt that ended. */
export interface StepItemEvent extends StepEventBase {
  type: 'step:item';
  /** The item's index in the list. */
  item: number;
  /** How many items the step maps over. */
  items: number;
  status: 'succeeded' | 'failed' | 'skipped' | 'retrying';
  /** From the item's first start. */
  durationMs: number;
  error: Error | undefined;
  output: unknown;
}
export interface StepSkipEvent extends Omit<StepEventBase, 'attempt'> {
  type: 'step:skip';
  reason: SkipReason;
  /** For `reason: 'self'`: the step's own words (`ctx.skip(reason)`). */
  message?: string;
  /** For `reason: 'self'`: the attempt that skipped itself (it had started: its `step:start` came before). */
  attempt?: number;
}

interface ScheduleEventBase {
  /** Task the schedule fires. */
  task: string;
  /** Epoch milliseconds the fire was due. */
  scheduledAt: number;
  /** Epoch milliseconds when the event happened. */
  at: number;
}

/** A schedule fired its task; `lagMs` is how late after the due time. */
export interface ScheduleFireEvent extends ScheduleEventBase {
  type: 'schedule:fire';
  lagMs: number;
}

/** A due fire was not run: the previous run still going (overlap), the task disabled, or paused. */
export interface ScheduleSkipEvent extends ScheduleEventBase {
  type: 'schedule:skip';
  reason: 'overlap' | 'disabled' | 'paused';
}

/** Fires that were due while nothing was running them (downtime) and are not caught up. */
export interface ScheduleMissEvent extends ScheduleEventBase {
  type: 'schedule:miss';
  /** How many due fires were missed; `scheduledAt` is the latest of them. */
  count: number;
}

/**
 * A schedule has no next fire time (its expression never matches again in its zone): it will not
 * fire until its entry or the clock changes. Emitted once when that is found; `scheduledAt` is
 * the instant after which no fire exists.
 */
export interface ScheduleStallEvent extends ScheduleEventBase {
  type: 'schedule:stall';
  cron: string;
  timezone: string;
}

export type ScheduleEvent = ScheduleFireEvent | ScheduleSkipEvent | ScheduleMissEvent | ScheduleStallEvent;

export type EngineEvent =
  | ScheduleFireEvent
  | ScheduleSkipEvent
  | ScheduleMissEvent
  | ScheduleStallEvent
  | RunStartEvent
  | RunEndEvent
  | StepStartEvent
  | StepSuccessEvent
  | StepFailureEvent
  | StepRetryEvent
  | StepSkipEvent
  | StepItemEvent;

export type EngineEventType = EngineEvent['type'];
export type EngineEventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;
export type EngineEventListener<T extends EngineEventType = EngineEventType> = (event: EngineEventOf<T>) => void;

/** Anything instrumentation can subscribe to: an engine, a backend, a scheduler. */
export interface EventSource {
  readonly events: EventBus;
}

/**
 * Allocation-free hooks for the two events every step emits, for instrumentation on hot paths
 * (metrics). They get the same facts as `step:start` / `step:success`, as arguments.
 */
export interface StepObserver {
  /** `runId` comes last so observers written before it was passed keep working. */
  stepStart(flow: string | undefined, step: string, task: string, attempt: number, runId: string): void;
  /** `output` is the step's output, by reference. */
  stepSuccess(
    flow: string | undefined,
    step: string,
    task: string,
    attempt: number,
    durationMs: number,
    runId: string,
    output: unknown,
  ): void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Typed lifecycle events. The engine asks `active` before building an event object, so a bus
 * nobody listens to costs one property read per step. A listener that throws is reported to
 * `onListenerError` (default: console.error) and never breaks the run.
 */
export class EventBus {
  // The fast-path flags below are plain fields (read once per step, so no getters) but readonly
  // to everyone else: only this class changes them, through `fastPath`.
  /** True while at least one listener, observer or tracer is attached. */
  readonly active: boolean = false;
  /** @internal Whether anyone listens to `step:start` / `step:success` objects (observers aside). */
  readonly wantsStepStart: boolean = false;
  /** @internal */
  readonly wantsStepSuccess: boolean = false;
  /** @internal Attached step observers; swapped whole on change, like the listener lists. */
  readonly observers: readonly StepObserver[] = [];
  /** The attached tracer (see RunTracer), if any; at most one per bus. */
  readonly tracer: RunTracer | undefined = undefined;
  private readonly byType = new Map<EngineEventType, Set<EngineEventListener<any>>>();
  private readonly any = new Set<(event: EngineEvent) => void>();
  /** Per type, typed and catch-all listeners merged into one array: emit is one lookup and a loop. */
  private dispatch: Partial<Record<EngineEventType, Array<(event: EngineEvent) => void>>> = {};

  constructor(private readonly onListenerError: (error: unknown, event: EngineEvent) => void = defaultListenerError) {}

  /** Subscribe to one event type; returns the unsubscribe function. */
  on<T extends EngineEventType>(type: T, listener: EngineEventListener<T>): () => void {
    let set = this.byType.get(type);
    if (set === undefined) this.byType.set(type, (set = new Set()));
    set.add(listener);
    this.rebuild();
    return () => {
      set.delete(listener);
      this.rebuild();
    };
  }

  /** Subscribe to every event; returns the unsubscribe function. */
  onAny(listener: (event: EngineEvent) => void): () => void {
    this.any.add(listener);
    this.rebuild();
    return () => {
      this.any.delete(listener);
      this.rebuild();
    };
  }

  /** This bus with its fast-path fields writable: for this class only. */
  private get fastPath(): Mutable<Pick<EventBus, 'active' | 'wantsStepStart' | 'wantsStepSuccess' | 'observers' | 'tracer'>> {
    return this;
  }

  /** Attach a step observer; returns the function that detaches it. */
  observe(observer: StepObserver): () => void {
    this.fastPath.observers = [...this.observers, observer];
    this.rebuild();
    return () => {
      this.fastPath.observers = this.observers.filter((o) => o !== observer);
      this.rebuild();
    };
  }

  /**
   * Attach a tracer; returns the function that detaches it. A bus holds one tracer: attaching a
   * different one while another is attached is an error (attaching the same one again is not).
   */
  trace(tracer: RunTracer<any>): () => void {
    if (this.tracer !== undefined && this.tracer !== tracer) {
      throw new CascadenceError(ErrorCode.INVALID_OPTIONS, 'this event bus already has a tracer attached: detach it first', {
        suggestions: ['call the detach function returned when the first tracer was attached'],
      });
    }
    this.fastPath.tracer = tracer;
    this.rebuild();
    return () => {
      if (this.tracer !== tracer) return;
      this.fastPath.tracer = undefined;
      this.rebuild();
    };
  }

  /** Reports an error thrown by the tracer, like one thrown by a listener. */
  tracerFailed(error: unknown, event: EngineEvent): void {
    this.onListenerError(error, event);
  }

  /** Calls every observer's `stepStart`; a throwing observer is reported like a listener. */
  notifyStepStart(runId: string, flow: string | undefined, step: string, task: string, attempt: number): void {
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) {
      try {
        (observers[i] as StepObserver).stepStart(flow, step, task, attempt, runId);
      } catch (error) {
        this.onListenerError(error, { type: 'step:start', runId, at: Date.now(), flow, step, task, attempt });
      }
    }
  }

  notifyStepSuccess(
    runId: string,
    flow: string | undefined,
    step: string,
    task: string,
    attempt: number,
    durationMs: number,
    output: unknown,
  ): void {
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) {
      try {
        (observers[i] as StepObserver).stepSuccess(flow, step, task, attempt, durationMs, runId, output);
      } catch (error) {
        this.onListenerError(error, { type: 'step:success', runId, at: Date.now(), flow, step, task, attempt, durationMs, output });
      }
    }
  }

  emit(event: EngineEvent): void {
    const listeners = this.dispatch[event.type];
    if (listeners === undefined) return;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as (event: EngineEvent) => void)(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  listenerCount(): number {
    let count = this.any.size;
    for (const set of this.byType.values()) count += set.size;
    return count;
  }

  private rebuild(): void {
    const dispatch: typeof this.dispatch = {};
    const types = new Set<EngineEventType>(this.byType.keys());
    if (this.any.size > 0) for (const type of EVENT_TYPES) types.add(type);
    for (const type of types) {
      const list = [...(this.byType.get(type) ?? []), ...this.any] as Array<(event: EngineEvent) => void>;
      if (list.length > 0) dispatch[type] = list;
    }
    // Swapped whole, so an emit in progress keeps iterating the list it started with.
    this.dispatch = dispatch;
    const fast = this.fastPath;
    fast.wantsStepStart = dispatch['step:start'] !== undefined;
    fast.wantsStepSuccess = dispatch['step:success'] !== undefined;
    fast.active = this.listenerCount() > 0 || this.observers.length > 0 || this.tracer !== undefined;
  }
}

/** Every event type the engine and schedulers emit. */
export const EVENT_TYPES: readonly EngineEventType[] = [
  'run:start',
  'run:end',
  'step:start',
  'step:success',
  'step:failure',
  'step:retry',
  'step:skip',
  'step:item',
  'schedule:fire',
  'schedule:skip',
  'schedule:miss',
  'schedule:stall',
];

function defaultListenerError(error: unknown, event: EngineEvent): void {
  console.error(`cascadence: a listener for "${event.type}" threw:`, error);
}
