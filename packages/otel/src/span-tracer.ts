import {
  CascadenceError,
  ErrorCode,
  type RunEndEvent,
  type RunStartEvent,
  type RunTracer,
  type StepFailureEvent,
  type StepItemEvent,
  type StepRetryEvent,
  type StepSkipEvent,
  type StepStartEvent,
  type StepSuccessEvent,
} from '@cascadence/core';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { RUN_SPAN_PREFIX, SPAN_ATTRIBUTES as A, SPAN_EVENTS, STEP_SPAN_PREFIX } from './attributes';
import type { ItemSpans } from './item-spans';

/** A run's or an attempt's span, and the context in which its children start and its code runs. */
export interface SpanScope {
  readonly span: Span;
  readonly context: Context;
}

/**
 * Turns core's RunTracer calls into OpenTelemetry spans: one per run (nested flows under the step
 * that runs them), one per step attempt under its run, and the attempt's code runs with its span
 * as the active context.
 */
export class SpanTracer implements RunTracer<SpanScope> {
  constructor(
    private readonly tracer: Tracer,
    /** Backend name recorded on every span (`local`, `temporal`, ...). */
    private readonly backend: string,
    /** Spans of map steps' items (told of each step attempt so their items find it). */
    private readonly items?: ItemSpans,
  ) {}

  startRun(event: RunStartEvent, parent: SpanScope | undefined): SpanScope {
    // A top-level run joins whatever span is active where it was started.
    const parentContext = parent?.context ?? context.active();
    const attributes: Attributes = {
      [A.RUN_ID]: event.runId,
      [A.TASK]: event.task,
      [A.KIND]: event.kind,
      [A.TRIGGER]: event.trigger?.kind ?? 'api',
      [A.BACKEND]: this.backend,
    };
    if (event.parentFlow !== undefined) attributes[A.PARENT_FLOW] = event.parentFlow;
    const span = this.tracer.startSpan(
      RUN_SPAN_PREFIX + event.task,
      { kind: SpanKind.INTERNAL, startTime: event.at, attributes },
      parentContext,
    );
    return { span, context: trace.setSpan(parentContext, span) };
  }

  endRun(run: SpanScope, event: RunEndEvent): void {
    const span = run.span;
    span.setAttribute(A.STATUS, event.status);
    if (event.status !== 'succeeded') fail(span, event.error, event.status);
    span.end(event.at);
  }

  startStep(run: SpanScope | undefined, event: StepStartEvent): SpanScope {
    const parentContext = run?.context ?? context.active();
    const attributes = stepAttributes(event, this.backend);
    const span = this.tracer.startSpan(
      STEP_SPAN_PREFIX + event.step,
      { kind: SpanKind.INTERNAL, startTime: event.at, attributes },
      parentContext,
    );
    this.items?.stepStarted(event.runId, event.flow, event.step, span);
    return { span, context: trace.setSpan(parentContext, span) };
  }

  endStep(attempt: SpanScope, event: StepSuccessEvent | StepFailureEvent | StepRetryEvent | StepSkipEvent): void {
    const span = attempt.span;
    if (event.type === 'step:success') {
      span.setAttribute(A.STATUS, 'succeeded');
    } else if (event.type === 'step:skip') {
      // ctx.skip(): the attempt ended on purpose, not in error.
      span.setAttribute(A.STATUS, 'skipped');
      span.setAttribute('cascadence.skip.reason', event.reason);
      if (event.message !== undefined) span.setAttribute('cascadence.skip.message', event.message);
    } else if (event.type === 'step:retry') {
      span.setAttribute(A.STATUS, 'retrying');
      fail(span, event.error, 'failed', event.at);
      span.addEvent(
        SPAN_EVENTS.RETRY,
        { 'cascadence.retry.delay_ms': event.delayMs, 'cascadence.retry.next_attempt': event.attempt + 1 },
        event.at,
      );
    } else {
      span.setAttribute(A.STATUS, event.status);
      fail(span, event.error, event.status, event.at);
    }
    this.items?.stepEnded(event.runId, event.flow, event.step, span);
    span.end(event.at);
  }

  stepEvent(run: SpanScope, event: StepSkipEvent | StepFailureEvent): void {
    if (event.type === 'step:skip') {
      run.span.addEvent(
        SPAN_EVENTS.SKIPPED,
        { [A.STEP]: event.step, [A.TASK]: event.task, 'cascadence.skip.reason': event.reason },
        event.at,
      );
    } else {
      // Cancelled while waiting for its next attempt: no attempt span is open.
      run.span.addEvent(
        SPAN_EVENTS.CANCELLED,
        { [A.STEP]: event.step, [A.ATTEMPT]: event.attempt, 'exception.message': event.error.message },
        event.at,
      );
    }
  }

  within<T>(scope: SpanScope, fn: () => T): T {
    return context.with(scope.context, fn);
  }

  logTag(attempt: SpanScope): string | undefined {
    const own = attempt.span.spanContext();
    if (!trace.isSpanContextValid(own)) return undefined;
    // The span active where the step logs (one it started itself, say) when it is in the
    // attempt's trace; else the attempt's own span (a line logged from outside its context).
    const active = trace.getSpanContext(context.active());
    const ids = active !== undefined && active.traceId === own.traceId && trace.isSpanContextValid(active) ? active : own;
    return `trace_id=${ids.traceId} span_id=${ids.spanId}`;
  }
}

/** What a step attempt's span and a map item's span both say: run, step, task, attempt, backend, flow. */
export function stepAttributes(event: StepStartEvent | StepItemEvent, backend: string): Attributes {
  const attributes: Attributes = {
    [A.RUN_ID]: event.runId,
    [A.STEP]: event.step,
    [A.TASK]: event.task,
    [A.ATTEMPT]: event.attempt,
    [A.BACKEND]: backend,
  };
  if (event.flow !== undefined) attributes[A.FLOW] = event.flow;
  return attributes;
}

/** Error status, the exception, and a timeout or cancellation event, on a span that did not succeed. */
function fail(span: Span, error: Error | undefined, status: 'failed' | 'cancelled', at?: number): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? status });
  if (error === undefined) return;
  span.recordException(error, at);
  if (CascadenceError.isInstance(error)) {
    span.setAttribute(A.ERROR_CODE, error.code);
    if (error.code === ErrorCode.TIMEOUT) {
      const ms = (error.details as { timeoutMs?: unknown } | undefined)?.timeoutMs;
      span.addEvent(SPAN_EVENTS.TIMEOUT, typeof ms === 'number' ? { 'cascadence.timeout_ms': ms } : {}, at);
    } else if (error.code === ErrorCode.CANCELLED) {
      span.addEvent(SPAN_EVENTS.CANCELLED, { 'exception.message': error.message }, at);
    }
  }
}
