/**
 * Temporal's SDK logs (worker state changes, failed activity attempts, core warnings) through a
 * Cascadence Logger, one line each, instead of the SDK's default multi-line coloured blocks.
 */
import { currentLogTag, type Logger } from '@cascadence/core';
import type { LogEntry } from '@temporalio/worker';
import { workerSdk } from './worker-sdk';

export type TemporalLogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface TemporalLogOptions {
  logger: Logger;
  /** Least severe level passed on. Default WARN. */
  level?: TemporalLogLevel;
}

/** `key=value` pairs on one line; values that are not plain words are JSON. */
function metaText(meta: Record<string, unknown> | undefined): string {
  if (meta === undefined) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    const text = typeof value === 'string' && /^[\w./:@-]*$/.test(value) ? value : safeJson(value);
    parts.push(`${key}=${text}`);
  }
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
}

function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) =>
        v instanceof Error ? { name: v.name, message: v.message } : typeof v === 'bigint' ? String(v) : v,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

/**
 * Passes one SDK log entry to `logger` as a single line (newlines inside become spaces), ending
 * with `trace_id=… span_id=…` when logged inside a traced span (core's log tag source).
 */
export function forwardTemporalLog(logger: Logger, entry: Pick<LogEntry, 'level' | 'message' | 'meta'>): void {
  const words = currentLogTag();
  const line = `${entry.message}${metaText(entry.meta)}${words === undefined ? '' : ` ${words}`}`.replace(/\s*\n\s*/g, ' ');
  switch (entry.level) {
    case 'TRACE':
    case 'DEBUG':
      logger.debug(line);
      break;
    case 'INFO':
      logger.info(line);
      break;
    case 'WARN':
      logger.warn(line);
      break;
    default:
      logger.error(line);
  }
}

/**
 * Installs Temporal's process-wide Runtime with its logs — the SDK's and the native core's —
 * going to `logger` from `level` up (default WARN). Call it before the first worker, replay or
 * native connection of the process. Returns false, changing nothing, when a Runtime is already
 * installed (the host chose its own logging).
 */
export function routeTemporalLogs(options: TemporalLogOptions): boolean {
  const level = options.level ?? 'WARN';
  const { DefaultLogger, Runtime, makeTelemetryFilterString } = workerSdk();
  try {
    Runtime.install({
      logger: new DefaultLogger(level, (entry) => forwardTemporalLog(options.logger, entry)),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level, other: level }), forward: {} } },
    });
    return true;
  } catch (error) {
    if ((error as Error)?.name === 'IllegalStateError') return false;
    throw error;
  }
}
