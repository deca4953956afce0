import { definePlugin, type EventSource, type Plugin } from '@cascadence/core';
import { instrumentTracing } from './instrument-tracing';

/**
 * This package as a plugin: listing `@cascadence/otel` in a config's `plugins` traces every run of
 * the engines, backends and workers the host attaches instrumentation to, through the global
 * tracer provider — the one an SDK registers (`NodeSDK.start()`, `provider.register()`, the
 * `task` CLI's own OTLP setup), looked up when each span starts, so an SDK registered later counts.
 */
export const tracingPlugin: Plugin = definePlugin({
  name: '@cascadence/otel',
  apiVersion: 1,
  instrumentation: [
    {
      name: 'opentelemetry-tracing',
      attach: (target: EventSource) => instrumentTracing(target),
    },
  ],
});
