/**
 * Instrumentation that plugins provide (`instrumentation: [{ name, attach }]`, e.g. the
 * `@cascadence/otel` plugin), attached to what a command runs on: its backend, a scheduler's
 * backend, a worker. Attached before the command's own OTLP tracing, which then leaves a bus a
 * plugin already traces alone.
 */
import { sanitizeForTerminal, type EventBus, type PluginLoadResult } from '@cascadence/core';

export interface InstrumentedTarget {
  readonly events?: EventBus | undefined;
  readonly name?: string;
}

/** Attaches each plugin instrumentation to each target's bus once; one that throws is a warning line, not a failure. */
export function attachPluginInstrumentation(
  plugins: Pick<PluginLoadResult, 'instrumentation'>,
  targets: readonly InstrumentedTarget[],
  warn: (line: string) => void,
): () => void {
  const detaches: Array<() => void> = [];
  const seen = new Set<EventBus>();
  for (const target of targets) {
    const events = target.events;
    if (events === undefined || seen.has(events)) continue;
    seen.add(events);
    for (const instrumentation of plugins.instrumentation) {
      try {
        const detach = instrumentation.attach({ events, ...(target.name !== undefined ? { name: target.name } : {}) } as {
          events: EventBus;
        });
        if (typeof detach === 'function') detaches.push(detach);
      } catch (error) {
        const what = `instrumentation "${instrumentation.name}" of plugin ${instrumentation.plugin}`;
        warn(
          `warning: ${sanitizeForTerminal(what)} could not attach: ${sanitizeForTerminal(error instanceof Error ? error.message : String(error))}`,
        );
      }
    }
  }
  return () => {
    for (const detach of detaches.splice(0)) detach();
  };
}
