/**
 * `task run --backend temporal`: start the workflow, say where it is (namespace, workflow id,
 * run id), print step lines as the workflow's state query reports them, and never wait in
 * silence — when no worker polls the task queue, say so (and give up after --wait-for-worker).
 * The first Ctrl-C (the run's AbortSignal) cancels the workflow and says so.
 */
import { sanitizeForTerminal, type ExecutionBackend, type RunResult, type RunTrigger, type Runnable } from '@cascadence/core';
import type { RunSummary, TemporalBackend, TemporalRunHandle } from '@cascadence/temporal';
import { CliError, CliErrorCode } from './errors';
import { stepLine } from './output';
import { DEFAULT_TASK_QUEUE } from './project/project';

/** Before this, a run that has not moved is normal (a worker takes a moment to pick it up). */
export const NO_WORKER_GRACE_MS = 2000;
/** How often pollers and step states are looked at while the run lasts. */
const WATCH_INTERVAL_MS = 500;
/** While no worker polls, the queue is looked at this often (and the message repeated never). */
const POLLER_RECHECK_MS = 2000;

export interface TemporalRunOptions {
  runId: string;
  /** What started the run (run history records it). */
  trigger: RunTrigger;
  /** Aborted by the first Ctrl-C / SIGTERM: the workflow is cancelled. */
  signal: AbortSignal;
  /** Print a line per step as it settles (stdout). */
  progress: boolean;
  /** Give up (terminating the run) when no worker polled the queue for this long; undefined waits. */
  waitForWorkerMs: number | undefined;
  /** Lines for a person about the run itself (stderr). */
  note(line: string): void;
  /** Step lines (stdout). */
  print(line: string): void;
}

export function isTemporalBackend(backend: ExecutionBackend): backend is TemporalBackend {
  return (
    backend.name === 'temporal' &&
    typeof (backend as Partial<TemporalBackend>).start === 'function' &&
    typeof (backend as Partial<TemporalBackend>).pollers === 'function'
  );
}

const q = (text: string): string => JSON.stringify(sanitizeForTerminal(text));

/** Prints each step once, when the workflow reports it settled. */
class StepLines {
  private readonly shown = new Set<string>();

  constructor(private readonly print: (line: string) => void) {}

  update(steps: RunSummary['steps'] | RunResult['steps']): void {
    for (const [id, step] of Object.entries(steps)) {
      if (this.shown.has(id) || step.status === 'pending' || step.status === 'running') continue;
      this.shown.add(id);
      const error = step.error === undefined ? undefined : { name: step.error.name, message: step.error.message };
      this.print(
        stepLine(id, {
          status: step.status,
          durationMs: step.durationMs,
          attempts: step.attempts,
          error: error as Error | undefined,
          skipReason: step.skipReason,
          skipMessage: step.skipMessage,
        }),
      );
    }
  }
}

/** Runs `runnable` on Temporal with the behaviour above; resolves to the RunResult like backend.run. */
export async function runOnTemporal(
  backend: TemporalBackend,
  runnable: Runnable,
  input: unknown,
  options: TemporalRunOptions,
): Promise<RunResult> {
  const handle = await backend.start(runnable, input, { runId: options.runId, trigger: options.trigger });
  options.note(
    `temporal: workflow ${q(handle.workflowId)} run ${q(handle.temporalRunId ?? '?')} in namespace ${q(backend.namespace)} on task queue ${q(backend.taskQueue)} (${sanitizeForTerminal(backend.address)})`,
  );
  const watcher = new RunWatcher(backend, handle, runnable, options);
  const result = handle.result();
  // The run ends one way or another; a rejection after we stopped waiting must not crash the process.
  result.catch(() => undefined);
  try {
    const settled = await Promise.race([result, watcher.givenUp]);
    // Terminating a run we gave up on also ends handle.result(): our reason wins.
    if (watcher.failure !== undefined) throw watcher.failure;
    watcher.lines?.update(settled.steps);
    return settled;
  } finally {
    watcher.stop();
  }
}

class RunWatcher {
  readonly lines: StepLines | undefined;
  readonly givenUp: Promise<never>;
  /** Why we stopped waiting, set before anything that could end the run. */
  failure: Error | undefined;
  private reject!: (error: Error) => void;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly startedAt = Date.now();
  private workerSeen = false;
  private saidNoWorker = false;
  private cancelRequested = false;
  private nextPollerCheck = 0;
  private readonly what: string;
  private readonly onAbort = (): void => void this.cancel();

  constructor(
    private readonly backend: TemporalBackend,
    private readonly handle: TemporalRunHandle,
    runnable: Runnable,
    private readonly options: TemporalRunOptions,
  ) {
    this.what = `${runnable.kind} ${q(runnable.name)}`;
    this.lines = options.progress ? new StepLines(options.print) : undefined;
    this.givenUp = new Promise<never>((_resolve, reject) => {
      this.reject = reject;
    });
    this.givenUp.catch(() => undefined);
    if (options.signal.aborted) this.onAbort();
    else options.signal.addEventListener('abort', this.onAbort, { once: true });
    this.schedule(Math.min(NO_WORKER_GRACE_MS, WATCH_INTERVAL_MS));
  }

  private giveUp(error: Error): void {
    this.failure ??= error;
    this.reject(this.failure);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.options.signal.removeEventListener('abort', this.onAbort);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    try {
      await this.checkWorkers();
      if (this.workerSeen && this.lines !== undefined) {
        const state = (await this.handle.describe()).progress;
        if (state !== undefined && !this.stopped) this.lines.update(state.steps);
      }
    } catch {
      // A failed look is not the run failing: the result (or its error) comes from handle.result().
    }
    this.schedule(WATCH_INTERVAL_MS);
  }

  /** After the grace period, until a worker shows up: look at the queue's pollers. */
  private async checkWorkers(): Promise<void> {
    const now = Date.now();
    if (this.workerSeen || now - this.startedAt < NO_WORKER_GRACE_MS || now < this.nextPollerCheck) return;
    this.nextPollerCheck = now + POLLER_RECHECK_MS;
    const pollers = await this.backend.pollers();
    if (this.stopped) return;
    if (pollers.length > 0) {
      this.workerSeen = true;
      if (this.saidNoWorker) this.options.note(`temporal: a worker now polls task queue ${q(this.backend.taskQueue)}`);
      return;
    }
    const queue = q(this.backend.taskQueue);
    if (!this.saidNoWorker) {
      this.saidNoWorker = true;
      const limit = this.options.waitForWorkerMs;
      this.options.note(
        `temporal: no worker is polling task queue ${queue} — start \`task worker\`${this.backend.taskQueue === DEFAULT_TASK_QUEUE ? '' : ` (with --task-queue ${sanitizeForTerminal(this.backend.taskQueue)})`}; ` +
          (limit === undefined ? 'waiting for one (Ctrl-C cancels)' : `waiting up to ${Math.round(limit / 1000)} s (--wait-for-worker)`),
      );
    }
    if (this.cancelRequested) {
      this.giveUp(
        new CliError(
          CliErrorCode.TASK_FAILED,
          `${this.what} cancelled before any worker picked it up: workflow ${q(this.handle.workflowId)} stays cancel-requested on task queue ${queue} until a worker polls it (or: temporal workflow terminate --workflow-id ${sanitizeForTerminal(this.handle.workflowId)})`,
        ),
      );
      return;
    }
    const limit = this.options.waitForWorkerMs;
    if (limit !== undefined && now - this.startedAt >= limit) {
      const reason = `no worker polled task queue ${this.backend.taskQueue} within ${Math.round(limit / 1000)} s (--wait-for-worker)`;
      this.failure = new CliError(
        CliErrorCode.TASK_FAILED,
        `${this.what} did not start: no worker polled task queue ${queue} within ${Math.round(limit / 1000)} s (--wait-for-worker); workflow ${q(this.handle.workflowId)} terminated — start \`task worker\``,
      );
      await this.handle.terminate(reason).catch(() => undefined);
      this.giveUp(this.failure);
    }
  }

  private async cancel(): Promise<void> {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.options.note(
      `temporal: cancelling workflow ${q(this.handle.workflowId)} — running steps are asked to stop; waiting for it to end`,
    );
    try {
      await this.handle.cancel(this.options.signal.reason);
    } catch (error) {
      this.giveUp(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    // Without a worker the cancellation cannot complete: say so now rather than after the grace period.
    if (!this.workerSeen) {
      this.nextPollerCheck = 0;
      if (Date.now() - this.startedAt >= NO_WORKER_GRACE_MS) await this.checkWorkers().catch(() => undefined);
    }
  }
}
