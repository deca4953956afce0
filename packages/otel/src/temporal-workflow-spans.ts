import type { SpanContext } from '@opentelemetry/api';

/** The part of an OpenTelemetry SDK SpanExporter this adapter needs (sdk-trace-base 1.x or 2.x). */
export interface SpanExporterLike {
  export(spans: any[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/**
 * Wraps a SpanExporter of the OpenTelemetry JS SDK 2.x for `makeWorkflowExporter` of
 * `@temporalio/interceptors-opentelemetry` 1.x. Spans made inside Temporal's workflow sandbox
 * arrive in the SDK 1.x shape (`parentSpanId`, `instrumentationLibrary`); SDK 2.x exporters read
 * `parentSpanContext` and `instrumentationScope`, and without them the workflow spans would be
 * exported as roots cut off from the client's trace. Spans already in the 2.x shape pass unchanged.
 */
export function temporalWorkflowSpanExporter<E extends SpanExporterLike>(exporter: E): SpanExporterLike {
  return {
    export: (spans, resultCallback) => exporter.export(spans.map(toSdk2Shape), resultCallback),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

interface Sdk1Span {
  spanContext(): SpanContext;
  parentSpanId?: string;
  parentSpanContext?: SpanContext;
  instrumentationLibrary?: { name: string; version?: string; schemaUrl?: string };
  instrumentationScope?: { name: string; version?: string; schemaUrl?: string };
}

function toSdk2Shape(span: Sdk1Span): Sdk1Span {
  const needsParent = span.parentSpanContext === undefined && typeof span.parentSpanId === 'string' && span.parentSpanId !== '';
  const needsScope = span.instrumentationScope === undefined && span.instrumentationLibrary !== undefined;
  if (!needsParent && !needsScope) return span;
  const own = span.spanContext();
  // The object keeps its own spanContext() method (it is not a class instance: a copy is safe).
  return {
    ...span,
    spanContext: () => own,
    ...(needsParent
      ? { parentSpanContext: { traceId: own.traceId, spanId: span.parentSpanId as string, traceFlags: own.traceFlags, isRemote: false } }
      : {}),
    ...(needsScope ? { instrumentationScope: span.instrumentationLibrary } : {}),
  };
}
