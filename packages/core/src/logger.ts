/** What `ctx.log` offers a task; any console-like object fits. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** Words for the log line being written (`trace_id=… span_id=…`), or undefined for none. */
export type LogTagSource = () => string | undefined;

// On globalThis, so the ESM and CommonJS copies of core (or two installed versions) share it.
const SOURCE = Symbol.for('cascadence.logTagSource');
type WithSource = { [SOURCE]?: LogTagSource | undefined };

/**
 * Sets where Cascadence's loggers get words for each line while no step tag applies (e.g.
 * @cascadence/otel: the ids of the active span); undefined removes it. Returns the previous source.
 */
export function setLogTagSource(source: LogTagSource | undefined): LogTagSource | undefined {
  const holder = globalThis as WithSource;
  const previous = holder[SOURCE];
  holder[SOURCE] = source;
  return previous;
}

/** The words the current source gives for a line now (undefined without a source, or if it throws). */
export function currentLogTag(): string | undefined {
  const source = (globalThis as WithSource)[SOURCE];
  if (source === undefined) return undefined;
  try {
    return source();
  } catch {
    return undefined;
  }
}

/**
 * `[scope]`, with the source's words inside the brackets when it gives some — unless the message
 * already carries a trace id (an outer Cascadence logger tagged it), so a line is tagged once.
 */
function prefixFor(scope: string | undefined, message: string, words: string | undefined = currentLogTag()): string | undefined {
  if (words === undefined || (typeof message === 'string' && message.includes('trace_id=')))
    return scope === undefined ? undefined : `[${scope}]`;
  return scope === undefined ? `[${words}]` : `[${scope} ${words}]`;
}

const noop = (): void => {};

/** Discards everything: the default when the engine is given no logger. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Writes to the console with a `[scope]` prefix (and the log tag source's words, see setLogTagSource). */
export function consoleLogger(scope?: string): Logger {
  const write =
    (to: (...data: unknown[]) => void) =>
    (message: string, ...args: unknown[]): void => {
      const prefix = prefixFor(scope, message);
      if (prefix === undefined) to(message, ...args);
      else to(prefix, message, ...args);
    };
  return {
    debug: write((...data) => console.debug(...data)),
    info: write((...data) => console.info(...data)),
    warn: write((...data) => console.warn(...data)),
    error: write((...data) => console.error(...data)),
  };
}

/** `base` with every message prefixed by `[scope]` (e.g. `[flow/step]`), and the log tag source's words. */
export function scopedLogger(base: Logger, scope: string): Logger {
  const line = (message: string): string => `${prefixFor(scope, message) as string} ${message}`;
  return {
    debug: (message, ...args) => base.debug(line(message), ...args),
    info: (message, ...args) => base.info(line(message), ...args),
    warn: (message, ...args) => base.warn(line(message), ...args),
    error: (message, ...args) => base.error(line(message), ...args),
  };
}

/**
 * Like scopedLogger, with words `tag()` gives at each line added inside the brackets
 * (`[flow/step trace_id=… span_id=…]`); a line whose tag is undefined gets the log tag source's
 * words, or `[scope]` alone.
 */
export function taggedLogger(base: Logger, scope: string, tag: () => string | undefined): Logger {
  const line = (message: string): string => {
    const words = tag();
    return `${(words === undefined ? prefixFor(scope, message) : `[${scope} ${words}]`) as string} ${message}`;
  };
  return {
    debug: (message, ...args) => base.debug(line(message), ...args),
    info: (message, ...args) => base.info(line(message), ...args),
    warn: (message, ...args) => base.warn(line(message), ...args),
    error: (message, ...args) => base.error(line(message), ...args),
  };
}
