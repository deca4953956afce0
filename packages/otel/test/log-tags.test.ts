// While tracing is attached, Cascadence's loggers tag lines logged inside any active span.
import { Engine, scopedLogger, silentLogger, type Logger } from '@cascadence/core';
import { instrumentTracing } from '../src';
import { idOf, inMemoryTracing, traceOf, useAsyncContext } from './in-memory';

useAsyncContext();

function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (message: string) => void lines.push(message);
  return { lines, debug: push, info: push, warn: push, error: push };
}

describe('trace ids in log lines outside ctx.log', () => {
  test('a scopedLogger line inside a span of the application carries its ids while tracing is attached, and not after', () => {
    const { provider, tracer } = inMemoryTracing();
    const base = recording();
    const log = scopedLogger(base, 'reports');
    const detach = instrumentTracing(new Engine({ logger: silentLogger }), { tracerProvider: provider });
    // A second attachment (another engine) keeps the tags until both are detached.
    const detachOther = instrumentTracing(new Engine({ logger: silentLogger }), { tracerProvider: provider });
    let ids = '';
    tracer.startActiveSpan('request', (span) => {
      ids = `trace_id=${traceOf(span as never)} span_id=${idOf(span as never)}`;
      log.info('inside');
      span.end();
    });
    log.info('outside');
    detach();
    tracer.startActiveSpan('request', (span) => {
      log.info('one still attached');
      span.end();
    });
    detachOther();
    detachOther();
    tracer.startActiveSpan('request', (span) => {
      log.info('detached');
      span.end();
    });
    expect(base.lines[0]).toBe(`[reports ${ids}] inside`);
    expect(base.lines[1]).toBe('[reports] outside');
    expect(base.lines[2]).toMatch(/^\[reports trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16}\] one still attached$/);
    expect(base.lines[3]).toBe('[reports] detached');
  });
});
