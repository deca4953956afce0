/** What `ctx.log` offers a task; any console-like object fits. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

const noop = (): void => {};

/** Discards everything: the default when the engine is given no logger. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Writes to the console with a `[scope]` prefix. */
export function consoleLogger(scope?: string): Logger {
  const prefix = scope === undefined ? [] : [`[${scope}]`];
  return {
    debug: (message, ...args) => console.debug(...prefix, message, ...args),
    info: (message, ...args) => console.info(...prefix, message, ...args),
    warn: (message, ...args) => console.warn(...prefix, message, ...args),
    error: (message, ...args) => console.error(...prefix, message, ...args),
  };
}

/** `base` with every message prefixed by `[scope]` (e.g. `[flow/step]`). */
export function scopedLogger(base: Logger, scope: string): Logger {
  const prefix = `[${scope}]`;
  return {
    debug: (message, ...args) => base.debug(`${prefix} ${message}`, ...args),
    info: (message, ...args) => base.info(`${prefix} ${message}`, ...args),
    warn: (message, ...args) => base.warn(`${prefix} ${message}`, ...args),
    error: (message, ...args) => base.error(`${prefix} ${message}`, ...args),
  };
}

/**
 * Like scopedLogger, with words `tag()` gives at each line added inside the brackets
 * (`[flow/step trace_id=… span_id=…]`); a line whose tag is undefined gets `[scope]` alone.
 */
export function taggedLogger(base: Logger, scope: string, tag: () => string | undefined): Logger {
  const prefix = (): string => {
    const words = tag();
    return words === undefined ? `[${scope}]` : `[${scope} ${words}]`;
  };
  return {
    debug: (message, ...args) => base.debug(`${prefix()} ${message}`, ...args),
    info: (message, ...args) => base.info(`${prefix()} ${message}`, ...args),
    warn: (message, ...args) => base.warn(`${prefix()} ${message}`, ...args),
    error: (message, ...args) => base.error(`${prefix()} ${message}`, ...args),
  };
}
