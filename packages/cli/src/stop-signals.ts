import { CliError, CliErrorCode } from './errors';

/** The signals that ask a `task` process to stop: Ctrl-C, a supervisor, a closed terminal or ssh session. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + the signal's number, as shells report a process killed by it: scripts can tell an interrupt from a failure. */
export const EXIT_CODE_OF_SIGNAL: Readonly<Record<StopSignal, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** `press Ctrl-C again` or `send SIGTERM again`: how to force, in the words of the signal that came. */
export function againToForce(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'press Ctrl-C again to force' : `send ${signal} again to force`;
}

/** The error a command ends with when a stop signal interrupted it; its exit code is the signal's. */
export function interruptedError(signal: StopSignal, message: string): CliError {
  return new CliError(CliErrorCode.INTERRUPTED, message, EXIT_CODE_OF_SIGNAL[signal], { details: { signal } });
}

/**
 * Listens for SIGINT, SIGTERM and SIGHUP until the returned function is called. The first one
 * calls `onStop` (stop gracefully); every later one calls `onForce` (stop now). While listening,
 * Node's default action (dying at once, children left running) is replaced by these handlers.
 */
export function onStopSignals(onStop: (signal: StopSignal) => void, onForce: (signal: StopSignal) => void): () => void {
  let first: StopSignal | undefined;
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = (): void => {
      if (first === undefined) {
        first = signal;
        onStop(signal);
      } else {
        onForce(first);
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}
