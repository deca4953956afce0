/**
 * The Temporal SDK's log entries reach a Cascadence Logger as one line each, at the matching
 * level; a process whose Runtime is already installed keeps its own logging.
 */
import { setLogTagSource, type Logger } from '@cascadence/core';
import { forwardTemporalLog, routeTemporalLogs } from '../src';

function recorder(): { logger: Logger; lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (message: string) => void lines.push([level, message]);
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('Temporal SDK logs through a Cascadence logger', () => {
  it('one line per entry: the message, then key=value metadata (JSON when not a plain word)', () => {
    const { logger, lines } = recorder();
    forwardTemporalLog(logger, {
      level: 'INFO',
      message: 'Worker state changed',
      meta: { sdkComponent: 'worker', taskQueue: 'q-1', state: 'RUNNING' },
    });
    forwardTemporalLog(logger, {
      level: 'WARN',
      message: 'Activity failed\nsecond line',
      meta: { error: new Error('boom\nmore'), attempt: 2, gone: undefined },
    });
    forwardTemporalLog(logger, { level: 'TRACE', message: 'trace', meta: undefined });
    forwardTemporalLog(logger, { level: 'ERROR', message: 'bad', meta: { id: 'a b' } });
    expect(lines).toEqual([
      ['info', 'Worker state changed sdkComponent=worker taskQueue=q-1 state=RUNNING'],
      ['warn', 'Activity failed second line error={"name":"Error","message":"boom\\nmore"} attempt=2'],
      ['debug', 'trace'],
      ['error', 'bad id="a b"'],
    ]);
  });

  it('ends a line logged while a log tag source gives words (a traced span, with @cascadence/otel) with them', () => {
    const { logger, lines } = recorder();
    const previous = setLogTagSource(() => 'trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331');
    try {
      forwardTemporalLog(logger, { level: 'WARN', message: 'Activity failed', meta: { attempt: 1 } });
    } finally {
      setLogTagSource(previous);
    }
    forwardTemporalLog(logger, { level: 'WARN', message: 'Activity failed', meta: { attempt: 2 } });
    expect(lines).toEqual([
      ['warn', 'Activity failed attempt=1 trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331'],
      ['warn', 'Activity failed attempt=2'],
    ]);
  });

  it('leaves an already installed Runtime alone (this test process installs one in its setup)', () => {
    const { logger, lines } = recorder();
    expect(routeTemporalLogs({ logger })).toBe(false);
    expect(lines).toEqual([]);
  });
});
