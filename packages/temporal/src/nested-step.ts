/**
 * A nested flow run as a step (or as one map item): interpreted inline by the same workflow, its
 * retries decided by core's decideRetry and waited with a workflow timer, its timeoutMs a timer
 * racing the nested run. Sandbox-safe: bundled with workflow.ts.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import { ErrorCode, decideRetry, itemWhere, nestedFlowFailedMessage } from '@cascadence/core/dag';
import type { MapItem, StepHost } from './activity-step';
import type { Outcome } from './graph-run';
import type { StepReport, WireGraph } from './wire';
import { StepCancelled, StepFailed, cascadenceError, timeoutError } from './workflow-failures';

/** What the nested-flow runner needs of the graph run it belongs to. */
export interface NestedHost extends StepHost {
  /** Runs `flow` inline as step `stepId` of this graph, in `scope`. */
  childRun(flow: WireGraph, input: unknown, stepId: string, scope: CancellationScope): Promise<Outcome>;
}

/** Runs a nested flow inline; its retries are decided by core's decideRetry and waited with a workflow timer. */
export async function runNestedStep(host: NestedHost, i: number, stepScope: CancellationScope, item?: MapItem): Promise<StepReport> {
  const step = host.graph.steps[i]!;
  const flow = step.flow!;
  const where = item === undefined ? host.where(i) : itemWhere(host.where(i), item.index);
  for (let attempt = 1; ; attempt++) {
    if (item === undefined) host.state.attempts[i] = attempt;
    let failure: StepFailed;
    try {
      return {
        output: await runNestedOnce(host, i, stepScope, flow, where, item === undefined ? host.stepInput(i) : item.input),
        attempt,
      };
    } catch (err) {
      if (err instanceof StepCancelled || (isCancellation(err) && stepScope.consideredCancelled)) throw new StepCancelled();
      failure = err instanceof StepFailed ? err : new StepFailed({ name: 'Error', message: String(err) }, attempt);
    }
    const delayMs = decideRetry(step.retry, attempt, failure.error, host.state.mayRetry);
    if (delayMs < 0) throw new StepFailed(failure.error, attempt);
    try {
      await sleep(delayMs);
    } catch (err) {
      if (isCancellation(err)) throw new StepCancelled();
      throw err;
    }
  }
}

async function runNestedOnce(
  host: NestedHost,
  i: number,
  stepScope: CancellationScope,
  flow: WireGraph,
  where: string,
  input: unknown,
): Promise<unknown> {
  const step = host.graph.steps[i]!;
  const childScope = new CancellationScope({ cancellable: true, parent: stepScope });
  const outcomePromise = host.childRun(flow, input, step.id, childScope);
  let outcome: Outcome;
  if (step.timeoutMs === undefined) {
    outcome = await outcomePromise;
  } else {
    const ms = step.timeoutMs;
    const timerScope = new CancellationScope({ cancellable: true, parent: stepScope });
    const timedOut = timerScope
      .run(() => sleep(ms))
      .then(
        () => 'timeout' as const,
        () => 'cancelled' as const,
      );
    const first = await Promise.race([outcomePromise, timedOut]);
    if (first === 'timeout') {
      childScope.cancel();
      throw new StepFailed(timeoutError(where, ms), 0);
    }
    if (first === 'cancelled') throw new StepCancelled();
    timerScope.cancel();
    outcome = first;
  }
  if (outcome.status === 'succeeded') return outcome.output;
  if (outcome.status === 'cancelled' && host.state.stopped) throw new StepCancelled();
  const failedSteps = Object.entries(outcome.steps)
    .filter(([, s]) => s.status === 'failed')
    .map(([id]) => id);
  const error = cascadenceError(
    'CascadenceError',
    ErrorCode.FLOW_FAILED,
    nestedFlowFailedMessage(flow.name, outcome.status, failedSteps, outcome.error?.message),
    {
      flow: flow.name,
    },
  );
  if (outcome.error !== undefined) error.cause = outcome.error;
  throw new StepFailed(error, 0);
}
