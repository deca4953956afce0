import { CascadenceError, type EventBus } from '@cascadence/core';
import { trace, type TracerProvider } from '@opentelemetry/api';
import { OtelErrorCode } from './errors';
import { useActiveSpanLogTags } from './log-tags';
import { DEFAULT_MAX_ITEM_SPANS, ItemSpans } from './item-spans';
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
  /**
   * Item spans per step attempt of a `map` step (default 1000; 0: none). Items beyond it are
   * counted on the step's span (`cascadence.items.unspanned`), and those that fail become
   * `cascadence.item.failed` events on it.
   */
  maxItemSpans?: number;
}

/** Stops tracing the target (runs already started keep their spans); calling it again does nothing. */
export type DetachTracing = () => void;

/** The tracer name (instrumentation scope) of every span this package makes. */
export const TRACER_NAME = '@cascadence/otel';

/**
 * Traces every run the target executes from now on: a span `cascadence.run <name>` per run and a
 * child span `cascadence.step <id>` per step attempt (and `cascadence.item <id>` per item of a
 * `map` step, under its step: see `maxItemSpans`), with each attempt's code running inside its
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
  const maxItemSpans = options.maxItemSpans ?? DEFAULT_MAX_ITEM_SPANS;
  if (!Number.isInteger(maxItemSpans) || maxItemSpans < 0) {
    throw new CascadenceError(
      OtelErrorCode.INVALID_OPTIONS,
      `instrumentTracing(): option "maxItemSpans" must be a whole number of 0 or more (got ${String(options.maxItemSpans)})`,
      { details: { option: 'maxItemSpans' } },
    );
  }
  const tracer = provider.getTracer(TRACER_NAME);
  const items = maxItemSpans === 0 ? undefined : new ItemSpans(tracer, backend, maxItemSpans);
  const detach = events.trace(new SpanTracer(tracer, backend, items));
  const offItems = items === undefined ? undefined : events.on('step:item', (event) => items.item(event));
  const release = useActiveSpanLogTags();
  return () => {
    detach();
    offItems?.();
    release();
  };
}
