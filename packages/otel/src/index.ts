export { instrumentTracing, TRACER_NAME, type DetachTracing, type TracingOptions, type TracingTarget } from './instrument-tracing';
export { ITEM_SPAN_PREFIX, RUN_SPAN_PREFIX, SPAN_ATTRIBUTES, SPAN_EVENTS, STEP_SPAN_PREFIX } from './attributes';
export { DEFAULT_MAX_ITEM_SPANS } from './item-spans';
export { OtelErrorCode, type OtelErrorCodeValue } from './errors';
export { temporalWorkflowSpanExporter, type SpanExporterLike } from './temporal-workflow-spans';
export { tracingPlugin } from './plugin';
export { tracingPlugin as default } from './plugin';
