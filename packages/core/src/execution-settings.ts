import type { ReusedSteps } from './dag/reuse';
import type { RunTrigger } from './trigger';

/** How one local run (execution.ts) runs: what the engine resolved from RunOptions. */
export interface ExecutionSettings {
  runId: string;
  concurrency: number;
  failFast: boolean;
  signal: AbortSignal | undefined;
  sync: boolean;
  /** What started the run (RunOptions.trigger); nested runs get their parent's, for tracing. */
  trigger: RunTrigger | undefined;
  /** Top-level runs only: step indices whose outputs are reused. */
  reuse?: ReusedSteps | undefined;
}
