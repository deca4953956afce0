import { Engine, type RunOptions, type Runnable } from './engine';
import type { EventBus, EventSource } from './events';
import type { RunResult } from './result';

/** Where tasks run: the in-process engine (`local`), Temporal, or a plugin's backend. */
export interface ExecutionBackend {
  readonly name: string;
  run<Output>(runnable: Runnable, input?: unknown, options?: RunOptions): Promise<RunResult<Output>>;
  /** Lifecycle events of the runs it executes, for instrumentation. */
  readonly events?: EventBus;
  /** Releases connections or workers. */
  close?(): Promise<void>;
  /** In-process backends: step code still running, also after a run's result is final (see Engine.stepsInFlight). */
  stepsInFlight?(): number;
  /** In-process backends: resolves once `stepsInFlight()` is 0. */
  whenStepsSettled?(): Promise<void>;
  /** Cancels an unfinished run it started in this process (see Engine.cancel); false if it has none with that id. */
  cancel?(runId: string, reason?: string): boolean;
}

/** The embedded default backend: runs on an `Engine` in this process. */
export class LocalBackend implements ExecutionBackend, EventSource {
  readonly name = 'local';
  readonly engine: Engine;

  constructor(engine: Engine = new Engine()) {
    this.engine = engine;
  }

  get events(): EventBus {
    return this.engine.events;
  }

  stepsInFlight(): number {
    return this.engine.stepsInFlight;
  }

  whenStepsSettled(): Promise<void> {
    return this.engine.whenStepsSettled();
  }

  cancel(runId: string, reason?: string): boolean {
    return this.engine.cancel(runId, reason);
  }

  run<Output>(runnable: Runnable, input?: unknown, options?: RunOptions): Promise<RunResult<Output>> {
    return this.engine.run(runnable as Runnable & { run: never }, input, options) as Promise<RunResult<Output>>;
  }
}
