import { sanitizeForTerminal, type ExecutionBackend, type RunResult } from '@cascadence/core';
import { CliError, CliErrorCode } from './errors';
import { formatDuration } from './output';
import { againToForce, interruptedError, listenForStop, type StopSignal, type StopSignals } from './stop-signals';

/**
 * One run started by a command (`task run`, `task retry`) and the stop signals around it: the
 * first SIGINT/SIGTERM/SIGHUP cancels the run (steps see `ctx.signal`), a second one stops
 * waiting and exits at once with the first signal's code. Listening starts in the constructor;
 * `close()` gives Node its default actions back.
 */
export class CancellableRun {
  private readonly controller = new AbortController();
  private readonly signals: StopSignals;
  private stoppedBy: StopSignal | undefined;

  /** `what` names the run in messages (`flow "etl"`); `notice` writes a line about the process. */
  constructor(
    private readonly what: string,
    private readonly notice: (line: string) => void,
  ) {
    this.signals = listenForStop(
      (signal) => {
        this.stoppedBy = signal;
        notice(`${signal} received: cancelling ${sanitizeForTerminal(what)} — ${againToForce(signal)}`);
        this.controller.abort(new Error(`interrupted by ${signal}`));
      },
      (signal) => `${what} was interrupted by ${signal}; forced to exit without waiting for its steps to stop`,
      notice,
    );
  }

  /** Aborted by the first stop signal: pass it to the backend's `run`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `work`, unless a second signal forces the exit first (then rejects with the interruption). */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.signals.forced]);
  }

  /**
   * After a stop signal: cancelled steps that ignore `ctx.signal` (or a shell command in its kill
   * grace) may still run. Waits for them up to `limitMs`, saying so, then returns either way.
   */
  async waitForStoppingSteps(backend: ExecutionBackend, limitMs: number): Promise<void> {
    const stoppedBy = this.stoppedBy;
    const still = stoppedBy === undefined ? 0 : (backend.stepsInFlight?.() ?? 0);
    if (stoppedBy === undefined || still === 0 || backend.whenStepsSettled === undefined) return;
    this.notice(`waiting up to ${formatDuration(limitMs)} for ${still} step${still === 1 ? '' : 's'} to stop — ${againToForce(stoppedBy)}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
    try {
      await this.race(Promise.race([backend.whenStepsSettled(), deadline]));
    } finally {
      clearTimeout(timer);
    }
    const left = backend.stepsInFlight?.() ?? 0;
    if (left > 0) this.notice(`${left} step${left === 1 ? '' : 's'} still running after ${formatDuration(limitMs)}: exiting anyway`);
  }

  /**
   * The command's error for a run that did not succeed: the signal's exit code (130, 143, 129)
   * when a stop signal cancelled it, else TASK_FAILED (exit 1). Undefined for a success.
   */
  failure(result: RunResult): CliError | undefined {
    if (result.status === 'succeeded') return undefined;
    const why = result.error?.message ?? result.status;
    // The error usually names the run already (`flow "x" was cancelled: ...`): do not say it twice.
    const message = why.startsWith(this.what) ? why : `${this.what} ${result.status}: ${why}`;
    if (result.status === 'cancelled' && this.stoppedBy !== undefined) return interruptedError(this.stoppedBy, message);
    return new CliError(CliErrorCode.TASK_FAILED, message);
  }

  close(): void {
    this.signals.close();
  }
}
