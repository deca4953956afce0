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

/** What a command holds while it listens for stop signals. */
export interface StopSignals {
  /** Rejects (with an `interruptedError`) when a second signal forces the exit; race it against any wait. */
  readonly forced: Promise<never>;
  /** Stops listening: Node's default action is back. */
  close(): void;
}

/**
 * Listens for SIGINT, SIGTERM and SIGHUP until `close()`. The first one calls `onStop` (stop
 * gracefully); a later one logs `<SIGNAL> again: exiting now` and rejects `forced` with
 * `forcedMessage`, exit code from the first signal. While listening, Node's default action
 * (dying at once, children left running) is replaced by these handlers.
 */
export function listenForStop(
  onStop: (signal: StopSignal) => void,
  forcedMessage: (signal: StopSignal) => string,
  log: (line: string) => void,
): StopSignals {
  let first: StopSignal | undefined;
  let reject: (error: Error) => void = () => {};
  const forced = new Promise<never>((_, fail) => (reject = fail));
  forced.catch(() => {}); // nobody may be waiting when it happens
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = (): void => {
      if (first === undefined) {
        first = signal;
        onStop(signal);
        return;
      }
      log(`${signal} again: exiting now`);
      reject(interruptedError(first, forcedMessage(first)));
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    forced,
    close: () => {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    },
  };
}
