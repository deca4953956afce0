import type { SkipReason } from './dag/status';

export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

/** `pending` only appears while a run is in progress. */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface StepResult<Output = unknown> {
  status: StepStatus;
  output: Output | undefined;
  error: Error | undefined;
  /** How many times the step was started (0 if it never ran). */
  attempts: number;
  /** Epoch milliseconds of the first attempt's start; undefined if it never ran. */
  startedAt: number | undefined;
  /** From the first attempt's start to the step's end, retry delays included. */
  durationMs: number | undefined;
  /** For a skipped step: why (`upstream-failed`, `trigger-rule`, `fail-fast`, `disabled`, `self`). */
  skipReason?: SkipReason;
  /** For a step that skipped itself: the reason it gave to `ctx.skip(reason)`. */
  skipMessage?: string;
  /** For a `map` step that started: each item's result, in item order. */
  items?: MapItemResult[];
}

/** An item of a `map` step: `pending` items never started (the map was stopped before them). */
export type MapItemStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** One item's result of a `map` step (`StepResult.items`). */
export interface MapItemResult {
  status: MapItemStatus;
  /** Attempts of this item (the step's retry policy applies per item). */
  attempts: number;
  output: unknown;
  error: Error | undefined;
  /** The item called `ctx.skip(reason)`. */
  skipMessage?: string;
}

/** `RunResult.steps`: each step's result, its output typed from `Outputs` (a typed flow's step outputs). */
export type StepResults<Outputs extends Record<string, unknown> = Record<string, unknown>> = string extends keyof Outputs
  ? Record<string, StepResult<Outputs[string]>>
  : { [K in keyof Outputs]: StepResult<Outputs[K]> } & { readonly [id: string]: StepResult | undefined };

/** `Outputs`: the flow's step outputs by id, for a typed flow (see `Flow`). */
export interface RunResult<Output = unknown, Outputs extends Record<string, unknown> = Record<string, unknown>> {
  runId: string;
  /** Name of the task or flow that was run. */
  task: string;
  status: RunStatus;
  /** The task's output, or the flow's output; undefined when the run did not succeed. */
  output: Output | undefined;
  /** The first error that failed the run (for a flow: the first failed step's error). */
  error: Error | undefined;
  /** Keyed by step id; a task run on its own has one step named after the task. */
  steps: StepResults<Outputs>;
  startedAt: number;
  durationMs: number;
}
