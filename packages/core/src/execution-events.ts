/**
 * The events and tracer calls of a local run (execution.ts). Called only when the run's bus has
 * a listener, observer or tracer: an event object is built for someone who will see it.
 */
import type {
  EngineEvent,
  RunEndEvent,
  RunStartEvent,
  StepFailureEvent,
  StepRetryEvent,
  StepSkipEvent,
  StepStartEvent,
  StepSuccessEvent,
} from './events';
import type { Execution } from './execution';
import type { RunResult, RunStatus } from './result';
import type { RunTracer } from './run-tracer';
import type { StepContext } from './step-context';
import type { StepPlan } from './step-plan';
import type { SkipReason } from './dag/status';

const timeOrigin = performance.timeOrigin;

/** `run:start`; returns the run's tracer scope (undefined when not traced). */
export function runStarted(run: Execution, at: number, parentFlow: string | undefined, parentTraceScope: unknown): unknown {
  const runnable = run.plan.runnable;
  const event: RunStartEvent = {
    type: 'run:start',
    runId: run.runId,
    at: timeOrigin + at,
    task: runnable.name,
    kind: runnable.kind,
    parentFlow,
    trigger: run.settings.trigger,
    input: run.input,
  };
  run.engine.events.emit(event);
  const tracer = run.tracer;
  if (tracer === undefined) return undefined;
  try {
    return tracer.startRun(event, parentTraceScope);
  } catch (error) {
    run.engine.events.tracerFailed(error, event);
    return undefined;
  }
}

/** `step:start` (and the observers' stepStart); sets the attempt's trace scope on `ctx`. */
export function stepStarted(run: Execution, ctx: StepContext, plan: StepPlan, attempt: number, at: number): void {
  const events = run.engine.events;
  const tracer = run.tracer;
  if (events.wantsStepStart || tracer !== undefined) {
    const event: StepStartEvent = {
      type: 'step:start',
      runId: run.runId,
      at: timeOrigin + at,
      flow: run.flowName,
      step: plan.id,
      task: plan.label,
      attempt,
    };
    if (events.wantsStepStart) events.emit(event);
    if (tracer !== undefined) {
      try {
        ctx.traceScope = tracer.startStep(run.traceScope, event);
      } catch (error) {
        events.tracerFailed(error, event);
      }
    }
  }
  if (events.observers.length > 0) events.notifyStepStart(run.runId, run.flowName, plan.id, plan.label, attempt);
}

/** `step:success` (and the observers' stepSuccess). */
export function stepSucceeded(run: Execution, ctx: StepContext, plan: StepPlan, at: number, durationMs: number, output: unknown): void {
  const events = run.engine.events;
  if (events.wantsStepSuccess || ctx.traceScope !== undefined) {
    const event: StepSuccessEvent = {
      type: 'step:success',
      runId: run.runId,
      at: timeOrigin + at,
      flow: run.flowName,
      step: plan.id,
      task: plan.label,
      attempt: ctx.attempt,
      durationMs,
      output,
    };
    if (events.wantsStepSuccess) events.emit(event);
    if (ctx.traceScope !== undefined) traceStepEnd(run, ctx, event);
  }
  if (events.observers.length > 0) events.notifyStepSuccess(run.runId, run.flowName, plan.id, plan.label, ctx.attempt, durationMs, output);
}

/** `step:skip` of an attempt that skipped itself (`ctx.skip()`): it ends that attempt. */
export function stepSkippedItself(run: Execution, ctx: StepContext, plan: StepPlan, at: number, message: string): void {
  const event: StepSkipEvent = {
    type: 'step:skip',
    runId: run.runId,
    at: timeOrigin + at,
    flow: run.flowName,
    step: plan.id,
    task: plan.label,
    reason: 'self',
    message,
    attempt: ctx.attempt,
  };
  run.engine.events.emit(event);
  if (ctx.traceScope !== undefined) traceStepEnd(run, ctx, event);
}

/** `step:retry`: the attempt failed and the step will be tried again after `delayMs`. */
export function stepRetrying(
  run: Execution,
  ctx: StepContext,
  plan: StepPlan,
  at: number,
  durationMs: number,
  error: Error,
  delayMs: number,
): void {
  const event: StepRetryEvent = {
    type: 'step:retry',
    runId: run.runId,
    at: timeOrigin + at,
    flow: run.flowName,
    step: plan.id,
    task: plan.label,
    attempt: ctx.attempt,
    durationMs,
    error,
    delayMs,
  };
  run.engine.events.emit(event);
  if (ctx.traceScope !== undefined) traceStepEnd(run, ctx, event);
}

/**
 * `step:failure`: failed for good, or cancelled (`ctx` is the running attempt's, or undefined for
 * a step cancelled while it waited for a retry: the run's tracer then records it as an event).
 */
export function stepFailed(
  run: Execution,
  ctx: StepContext | undefined,
  plan: StepPlan,
  attempt: number,
  at: number,
  durationMs: number,
  error: Error,
  status: 'failed' | 'cancelled',
): void {
  const event: StepFailureEvent = {
    type: 'step:failure',
    runId: run.runId,
    at: timeOrigin + at,
    flow: run.flowName,
    step: plan.id,
    task: plan.label,
    attempt,
    durationMs,
    error,
    status,
  };
  run.engine.events.emit(event);
  if (ctx?.traceScope !== undefined) traceStepEnd(run, ctx, event);
  else if (status === 'cancelled' && run.traceScope !== undefined) traceStepEvent(run, event);
}

/** `step:skip` of a step that will not run (trigger rule, upstream failure, fail-fast, disabled). */
export function stepSkipped(run: Execution, plan: StepPlan, at: number, reason: SkipReason): void {
  const event: StepSkipEvent = {
    type: 'step:skip',
    runId: run.runId,
    at: timeOrigin + at,
    flow: run.flowName,
    step: plan.id,
    task: plan.label,
    reason,
  };
  run.engine.events.emit(event);
  if (run.traceScope !== undefined) traceStepEvent(run, event);
}

/** `run:end`, and the end of the run's trace. */
export function runEnded(
  run: Execution,
  at: number,
  parentFlow: string | undefined,
  status: RunStatus,
  error: Error | undefined,
  result: RunResult,
): void {
  const runnable = run.plan.runnable;
  const event: RunEndEvent = {
    type: 'run:end',
    runId: run.runId,
    at: timeOrigin + at,
    task: runnable.name,
    kind: runnable.kind,
    parentFlow,
    status,
    durationMs: result.durationMs,
    error,
    result,
  };
  run.engine.events.emit(event);
  if (run.traceScope === undefined) return;
  try {
    (run.tracer as RunTracer).endRun(run.traceScope, event);
  } catch (thrown) {
    run.engine.events.tracerFailed(thrown, event);
  }
}

function traceStepEnd(run: Execution, ctx: StepContext, event: StepSuccessEvent | StepFailureEvent | StepRetryEvent | StepSkipEvent): void {
  try {
    (run.tracer as RunTracer).endStep(ctx.traceScope, event);
  } catch (error) {
    run.engine.events.tracerFailed(error, event);
  }
}

function traceStepEvent(run: Execution, event: Extract<EngineEvent, { type: 'step:skip' | 'step:failure' }>): void {
  try {
    (run.tracer as RunTracer).stepEvent(run.traceScope, event);
  } catch (error) {
    run.engine.events.tracerFailed(error, event);
  }
}
