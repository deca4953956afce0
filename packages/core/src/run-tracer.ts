import type {
  RunEndEvent,
  RunStartEvent,
  StepFailureEvent,
  StepRetryEvent,
  StepSkipEvent,
  StepStartEvent,
  StepSuccessEvent,
} from './events';

/**
 * A hook for tracing, set on an EventBus with `bus.trace(tracer)`. Where events only report what
 * happened, a tracer also gets a scope per run and per step attempt (its span, for OpenTelemetry),
 * is told which scope a nested run or an attempt belongs to, and runs each attempt's code inside
 * its scope — so what the step calls (HTTP clients, loggers) sees it as the current context.
 *
 * The engine only looks at the hook when one is set: without a tracer nothing here costs anything.
 * A tracer that throws is reported like a throwing listener and never breaks the run.
 */
export interface RunTracer<Scope = unknown> {
  /** A run begins. `parent`: the scope of the step attempt that runs this (nested) flow, else undefined. */
  startRun(event: RunStartEvent, parent: Scope | undefined): Scope;
  endRun(run: Scope, event: RunEndEvent): void;
  /** An attempt of a step begins. `run`: its run's scope (undefined when no run scope is known, e.g. on a worker). */
  startStep(run: Scope | undefined, event: StepStartEvent): Scope;
  /**
   * The attempt ended: succeeded, failed for good, failed and will be retried, cancelled while
   * running, or skipped itself (`step:skip` with reason `self`).
   */
  endStep(attempt: Scope, event: StepSuccessEvent | StepFailureEvent | StepRetryEvent | StepSkipEvent): void;
  /** Something happened to a step that has no running attempt: it was skipped, or cancelled while waiting. */
  stepEvent(run: Scope, event: StepSkipEvent | StepFailureEvent): void;
  /** Calls `fn` — the attempt's code — with `scope` as the current context, and returns what it returns. */
  within<T>(scope: Scope, fn: () => T): T;
  /**
   * Words added to a `ctx.log` line of an attempt (e.g. `trace_id=… span_id=…`), asked at each line
   * (so it may name whatever is current when the step logs); undefined adds none.
   */
  logTag?(attempt: Scope): string | undefined;
}
