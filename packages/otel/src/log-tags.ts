import { setLogTagSource, type LogTagSource } from '@cascadence/core';
import { context, trace } from '@opentelemetry/api';

/** `trace_id=… span_id=…` of the span active where a line is logged, if any. */
export const activeSpanLogTag: LogTagSource = () => {
  const span = trace.getSpanContext(context.active());
  return span !== undefined && trace.isSpanContextValid(span) ? `trace_id=${span.traceId} span_id=${span.spanId}` : undefined;
};

let attached = 0;
let previous: LogTagSource | undefined;

/**
 * While at least one bus is traced, Cascadence's loggers (consoleLogger, scopedLogger, the
 * `ctx.log` of every step) tag lines logged inside an active span with its ids. Returns the release.
 */
export function useActiveSpanLogTags(): () => void {
  if (attached++ === 0) previous = setLogTagSource(activeSpanLogTag);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--attached === 0) {
      setLogTagSource(previous);
      previous = undefined;
    }
  };
}
