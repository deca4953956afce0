import { CascadenceError, type EventBus } from '@cascadence/core';
import { trace, type TracerProvider } from '@opentelemetry/api';
import { OtelErrorCode } from './errors';
import { useActiveSpanLogTags } from './log-tags';
import { SpanTracer } from './span-tracer';

/** Anything with a Cascadence event bus: an Engine, a LocalBackend, a TemporalBackend, a Temporal worker. */
export interface TracingTarget {
  readonly events?: EventBus | undefined;
  /** A backend's name (`local`, `temporal`), recorded as `cascadence.backend`. */
  readonly name?: string;
}

export interface TracingOptions {
  /** Where spans go. Default: the global provider (`trace.getTracerProvider()`, set by the SDK). */
  tracerProvider?: TracerProvider;
  /** Recorded as `cascadence.backend`. Default: the target's `name`, else `local`. */
  backend?: string;
}

/** Stops tracing the target (runs already started keep their spans); calling it again does nothing. */
export type DetachTracing = () => void;

/** The tracer name (instrumentation scope) of every span this package makes. */
export const TRACER_NAME = '@cascadence/otel';

/**
 * Traces every run the target executes from now on: a span `cascadence.run <name>` per run and a
 * child span `cascadence.step <id>` per step attempt, with each attempt's code running inside its
 * span (so HTTP calls it makes carry its `traceparent`, given an HTTP instrumentation) and its
 * `ctx.log` lines carrying `trace_id=… span_id=…`. While attached, lines of Cascadence's other
 * loggers (`consoleLogger`, `scopedLogger`) logged inside any active span carry its ids too.
 *
 * A run started while a span is active becomes that span's child. On a Temporal worker the step
 * spans join the activity's span (Temporal's OpenTelemetry interceptors carry the context).
 */
export function instrumentTracing(target: TracingTarget, options: TracingOptions = {}): DetachTracing {
  const events = target?.events;
  if (typeof events !== 'object' || events === null || typeof (events as EventBus).trace !== 'function') {
    const what = typeof target?.name === 'string' ? `"${target.name}"` : 'the target';
    throw new CascadenceError(OtelErrorCode.NO_EVENTS, `instrumentTracing(): ${what} has no "events" bus that accepts a tracer`, {
      suggestions: [
        'pass an Engine, a LocalBackend, a TemporalBackend or a Cascadence Temporal worker (and a @cascadence/core that has EventBus.trace)',
      ],
    });
  }
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  if (typeof provider?.getTracer !== 'function') {
    throw new CascadenceError(
      OtelErrorCode.INVALID_OPTIONS,
      'instrumentTracing(): option "tracerProvider" must be an OpenTelemetry TracerProvider (with getTracer)',
      {
        details: { option: 'tracerProvider' },
      },
    );
  }
  const backend = options.backend ?? (typeof target.name === 'string' ? target.name : 'local');
  const detach = events.trace(new SpanTracer(provider.getTracer(TRACER_NAME), backend));
  const release = useActiveSpanLogTags();
  return () => {
    detach();
    release();
  };
}
