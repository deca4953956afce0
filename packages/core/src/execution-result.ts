/**
 * The RunResult of a local run (execution.ts): its per-step records, the default output, and what
 * a nested flow's result means to the step that ran it.
 */
import { nestedFlowFailedMessage } from './dag/messages';
import type { RunState } from './dag/run-state';
import { STEP_STATUS_NAMES } from './dag/status';
import { CascadenceError, ErrorCode } from './errors';
import type { Flow } from './flow';
import type { MapRun } from './map-run';
import type { RunResult, StepResult, StepStatus } from './result';
import { SerialisableRunResult } from './run-result';
import type { RunnablePlan } from './step-plan';

/** Up to this many steps, RunResult.steps is built at once (cheaper than a lazy property). */
const EAGER_STEP_RESULTS = 64;

const timeOrigin = performance.timeOrigin;

/** What a finished run knows, for its result. `times[i]` / `times[n + i]`: step i's start and end (0: none). */
export interface FinishedRun {
  readonly runId: string;
  readonly plan: RunnablePlan;
  readonly state: RunState<Error>;
  readonly times: readonly number[];
  readonly maps: ReadonlyArray<MapRun | undefined> | undefined;
}

export function runResult(
  run: FinishedRun,
  status: RunResult['status'],
  output: unknown,
  error: Error | undefined,
  startedAt: number,
  endedAt: number,
): RunResult {
  const result: RunResult = new SerialisableRunResult(
    run.runId,
    run.plan.runnable.name,
    status,
    output,
    error,
    undefined as unknown as Record<string, StepResult>,
    timeOrigin + startedAt,
    endedAt - startedAt,
  );
  // Large flows build the per-step record on first read: most callers only look at status and output.
  if (run.state.n <= EAGER_STEP_RESULTS) result.steps = stepResults(run);
  else
    Object.defineProperty(result, 'steps', {
      enumerable: true,
      configurable: true,
      get: () => {
        const steps = stepResults(run);
        Object.defineProperty(result, 'steps', { value: steps, enumerable: true, writable: true, configurable: true });
        return steps;
      },
    });
  return result;
}

function stepResults(run: FinishedRun): Record<string, StepResult> {
  const steps: Record<string, StepResult> = {};
  const ids = run.plan.graph.ids;
  const { n, status, attempts, outputs, errors, skipReasons, skipMessages } = run.state;
  const times = run.times;
  const maps = run.maps;
  // Most runs have no failed, skipped or map step: those arrays are empty, not read per step.
  const anyError = errors.length !== 0;
  const anySkip = skipReasons.length !== 0;
  for (let i = 0; i < n; i++) {
    const tries = attempts[i] as number;
    const started = times[i] as number;
    const ended = times[n + i] as number;
    const step: StepResult = {
      status: STEP_STATUS_NAMES[status[i] as number] as StepStatus,
      output: outputs[i],
      error: anyError ? errors[i] : undefined,
      attempts: tries,
      startedAt: tries > 0 ? timeOrigin + started : undefined,
      durationMs: tries > 0 && ended > 0 ? ended - started : undefined,
    };
    if (anySkip) {
      const skipReason = skipReasons[i];
      if (skipReason !== undefined) step.skipReason = skipReason;
      const skipMessage = skipMessages[i];
      if (skipMessage !== undefined) step.skipMessage = skipMessage;
    }
    if (maps !== undefined) {
      const map = maps[i];
      if (map !== undefined) lazyItems(step, map);
    }
    steps[ids[i] as string] = step;
  }
  return steps;
}

/** `items` of a map step's result, built on first read: one object per item, and most callers never look. */
function lazyItems(step: StepResult, map: MapRun): void {
  Object.defineProperty(step, 'items', {
    enumerable: true,
    configurable: true,
    get: () => {
      const items = map.results();
      Object.defineProperty(step, 'items', { value: items, enumerable: true, writable: true, configurable: true });
      return items;
    },
  });
}

/** A lone task's output; for a flow, `output(results)` or else the outputs of its final steps. */
export function defaultOutput(plan: RunnablePlan, state: RunState<Error>, input: unknown): unknown {
  const runnable = plan.runnable;
  if (runnable.kind !== 'flow') return state.outputs[0];
  const custom = runnable.output;
  const results = state.succeededOutputs(plan.graph.ids, custom !== undefined);
  return custom === undefined ? results : custom(results, input);
}

/** A nested flow's result as its step sees it: the flow's output, or a FLOW_FAILED error to throw. */
export function nestedOutput(flow: Flow, result: RunResult): unknown {
  if (result.status === 'succeeded') return result.output;
  const failedSteps = Object.entries(result.steps)
    .filter(([, step]) => step.status === 'failed')
    .map(([id]) => id);
  throw new CascadenceError(ErrorCode.FLOW_FAILED, nestedFlowFailedMessage(flow.name, result.status, failedSteps, result.error?.message), {
    cause: result.error,
    details: { flow: flow.name, steps: result.steps },
  });
}
