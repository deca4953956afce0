// tracing.mjs — OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node tracing.mjs
import { NodeTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defineFlow, Engine } from '@cascadence/core';
import { instrumentTracing } from '@cascadence/otel';

// 1. The SDK: a batch processor exporting over OTLP/HTTP (the URL comes from
//    OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318), W3C traceparent propagation and
//    an async context manager (register() installs both), and fetch instrumentation so the HTTP
//    calls steps make carry the trace.
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'reports' }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
});
provider.register();
registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });

// 2. Cascadence: trace every run of this engine.
const engine = new Engine();
instrumentTracing(engine);

const nightly = defineFlow({
  name: 'nightly',
  steps: {
    download: {
      retry: { attempts: 3, delayMs: 200 },
      run: async (ctx) => {
        ctx.log.info('downloading'); // [nightly/download trace_id=… span_id=…] downloading
        const response = await fetch('https://example.invalid/data.json'); // fails: 3 attempts
        return response.json();
      },
    },
    publish: { needs: ['download'], run: (ctx) => ctx.results.download },
  },
});

const result = await engine.run(nightly);
console.log(result.status, result.runId); // failed <run id>
await provider.shutdown(); // exports what is still buffered
