/**
 * OpenTelemetry tracing for `task run`, `task scheduler` and `task worker`, switched on by the
 * standard environment: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the
 * protocol: see otlp-exporter.ts; headers, timeouts and OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES
 * are read by the SDK itself). The SDK is imported only then, so commands without tracing never load it.
 */
import type { EventBus } from '@cascadence/core';
import { createOtlpTraceExporter, otlpProtocol } from './otlp-exporter';

export interface CommandTracing {
  /** Traces the runs of one more target (an event bus is traced once). */
  trace(target: TracingTarget, backend?: string): void;
  /** The span exporter and resource, for Temporal's workflow span sink (see temporal-tracing.ts). */
  readonly exporter: unknown;
  readonly resource: unknown;
  /** Ends tracing of the targets and exports the spans still buffered. */
  close(): Promise<void>;
}

type TracingTarget = { readonly events?: EventBus | undefined; readonly name?: string };

/** Whether the environment asks for traces to be exported over OTLP. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim().toLowerCase());
  if (exporters !== undefined && exporters.length > 0 && exporters.every((e) => e === 'none')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/**
 * Starts the Node SDK (a batch span processor and the OTLP exporter of the protocol asked for, W3C
 * propagation, fetch instrumentation so HTTP steps send `traceparent`) and traces each target's runs; undefined
 * when tracing is not requested.
 */
export async function startCommandTracing(
  targets: readonly TracingTarget[],
  options: { backend?: string } = {},
): Promise<CommandTracing | undefined> {
  if (!tracingRequested()) return undefined;
  // A protocol task cannot export with fails the command before anything is loaded.
  const protocol = otlpProtocol();
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    exporter,
    resources,
    { registerInstrumentations },
    { UndiciInstrumentation },
    { instrumentTracing },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    createOtlpTraceExporter(protocol),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-undici'),
    import('@cascadence/otel'),
  ]);
  const resource = resources
    .resourceFromAttributes({ 'service.name': 'cascadence' })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  const unregister = registerInstrumentations({ instrumentations: [new UndiciInstrumentation()], tracerProvider: provider });
  const seen = new Set<EventBus>();
  const detaches: Array<() => void> = [];
  const tracing: CommandTracing = {
    exporter,
    resource,
    trace(target, backend = options.backend) {
      // A LocalBackend and the scheduler running on it may share one bus: trace it once. A bus a
      // plugin (the @cascadence/otel plugin) already traces keeps that tracer: it reaches this
      // provider through the global one.
      if (target.events === undefined || seen.has(target.events) || target.events.tracer !== undefined) return;
      seen.add(target.events);
      detaches.push(instrumentTracing(target, { tracerProvider: provider, ...(backend !== undefined ? { backend } : {}) }));
    },
    async close() {
      for (const detach of detaches) detach();
      unregister();
      await provider.shutdown().catch((error: unknown) => {
        process.stderr.write(`tracing: exporting the last spans failed: ${String(error)}\n`);
      });
    },
  };
  for (const target of targets) tracing.trace(target);
  return tracing;
}
