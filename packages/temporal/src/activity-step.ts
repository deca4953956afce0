/**
 * A step (or one map item) run as a Temporal activity: a regular one, retried by Temporal and
 * re-scheduled when its worker is lost, or a local activity for short steps. Sandbox-safe: bundled
 * with workflow.ts.
 */
import {
  ActivityFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  patched,
  scheduleActivity,
  scheduleLocalActivity,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { ErrorCode, invalidMapInputMessage, itemWhere, type RunState } from '@cascadence/core/dag';
import {
  LOCAL_STEPS_PATCH,
  MAP_ITEMS_ACTIVITY,
  STEP_ACTIVITY,
  jsonSize,
  type RunSpec,
  type MapItemsCall,
  type MapItemsReport,
  type StepCall,
  type StepReport,
  type WireError,
  type WireGraph,
  type WireRetry,
} from './wire';
import type { RunContext } from './graph-run';
import { StepCancelled, StepFailed, activityError, cascadenceError, payloadTooLarge } from './workflow-failures';

/**
 * The items of a map step whose `map` is a function: the worker runs it (map-activity.ts) once,
 * with the step's needed results; the list is recorded in the history like a step output.
 */
export async function runMapFunction(
  host: StepHost,
  i: number,
  stepScope: CancellationScope,
  needed: Record<string, unknown>,
): Promise<unknown[]> {
  const step = host.graph.steps[i]!;
  const where = host.where(i);
  const options = host.spec.options;
  const call: MapItemsCall = {
    runId: host.spec.runId,
    root: host.spec.root,
    path: [...host.path, step.id],
    label: step.label,
    results: needed,
    maxPayloadBytes: options.maxPayloadBytes,
  };
  if (host.graph.kind === 'flow') call.flow = host.graph.name;
  const timeoutMs = step.timeoutMs ?? options.defaultStepTimeoutMs;
  let report: MapItemsReport;
  try {
    report = await scheduleActivity<MapItemsReport>(MAP_ITEMS_ACTIVITY, [call], {
      activityId: `${++host.context.activitySeq}:${call.path.join('/')}#items`,
      summary: `items of ${call.path.join(' / ')}`,
      startToCloseTimeout: timeoutMs,
      heartbeatTimeout: options.heartbeatTimeoutMs,
      cancellationType: 'TRY_CANCEL',
      retry: { maximumAttempts: 1 },
    });
  } catch (err) {
    if (isCancellation(err) && stepScope.consideredCancelled) throw new StepCancelled();
    throw activityError(err, where, timeoutMs, 0, 1);
  }
  if (report.items !== undefined) return report.items;
  const source = 'the map function';
  throw new StepFailed(
    cascadenceError('CascadenceError', ErrorCode.INVALID_MAP_INPUT, invalidMapInputMessage(where, source, report.problem), { source }),
    1,
  );
}

/** What a step runner needs of the graph run it belongs to. */
export interface StepHost {
  readonly spec: RunSpec;
  readonly graph: WireGraph;
  /** Step ids leading to this graph (empty for the root). */
  readonly path: string[];
  /** Step ids of the graph, by index. */
  readonly ids: string[];
  readonly context: RunContext;
  readonly state: RunState<WireError>;
  where(i: number): string;
  stepInput(i: number): unknown;
  itemResults(i: number): Record<string, unknown>;
}

/** A step's retry policy as Temporal's activity retry policy (which has no jitter). */
function retryPolicy(retry: WireRetry, maximumAttempts: number): NonNullable<ActivityOptions['retry']> {
  return {
    maximumAttempts,
    initialInterval: Math.max(1, retry.delayMs),
    backoffCoefficient: retry.backoff === 'fixed' ? 1 : 2,
    maximumInterval: Math.max(1, retry.backoff === 'fixed' ? retry.delayMs : retry.maxDelayMs),
    nonRetryableErrorTypes: retry.nonRetryable,
  };
}

/** Runs an activity step (or one item of a map step); Temporal retries it, and re-schedules it when its worker is lost. */
export async function runActivityStep(host: StepHost, i: number, stepScope: CancellationScope, item?: MapItem): Promise<StepReport> {
  const step = host.graph.steps[i]!;
  const where = item === undefined ? host.where(i) : itemWhere(host.where(i), item.index);
  const options = host.spec.options;
  const call: StepCall = {
    runId: host.spec.runId,
    root: host.spec.root,
    path: [...host.path, step.id],
    label: step.label,
    input: item === undefined ? host.stepInput(i) : item.input,
    results: item === undefined ? host.state.neededResults(i, host.ids) : host.itemResults(i),
    attemptOffset: 0,
    maxPayloadBytes: options.maxPayloadBytes,
  };
  if (options.maxOutputBytes !== undefined) call.maxOutputBytes = options.maxOutputBytes;
  if (host.graph.kind === 'flow') call.flow = host.graph.name;
  if (item !== undefined) call.item = { index: item.index, count: item.count };
  const size = jsonSize(call.input) + jsonSize(call.results);
  if (size > options.maxPayloadBytes) {
    throw new StepFailed(payloadTooLarge(`the input and needed results of ${where}`, size, options.maxPayloadBytes), 0);
  }
  const timeoutMs = step.timeoutMs ?? options.defaultStepTimeoutMs;
  // Short steps run as local activities; a history recorded before (no patch marker) keeps regular ones.
  if (step.local === true && patched(LOCAL_STEPS_PATCH)) return runLocalStep(host, i, stepScope, call, timeoutMs, where, item);
  let losses = 0;
  for (;;) {
    const used = call.attemptOffset - losses;
    const maximumAttempts = Math.max(1, step.retry.attempts - used);
    const activityOptions: ActivityOptions = {
      activityId: `${++host.context.activitySeq}:${call.path.join('/')}${item === undefined ? '' : `#${item.index}`}`,
      summary: call.path.join(' / '),
      startToCloseTimeout: timeoutMs,
      heartbeatTimeout: options.heartbeatTimeoutMs,
      cancellationType: 'TRY_CANCEL',
      retry: retryPolicy(step.retry, maximumAttempts),
    };
    if (item === undefined) host.state.attempts[i] = call.attemptOffset + 1;
    try {
      const report = await scheduleActivity<StepReport>(STEP_ACTIVITY, [call], activityOptions);
      return { ...report, attempt: call.attemptOffset + report.attempt };
    } catch (err) {
      if (isCancellation(err) && stepScope.consideredCancelled) throw new StepCancelled();
      const failed = activityError(err, where, timeoutMs, call.attemptOffset, maximumAttempts);
      const lost = err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'HEARTBEAT';
      if (lost && losses < options.workerLossRetries && !host.state.stopped) {
        // The attempt died with its worker: run it again on another worker, without charging the retry budget.
        losses++;
        call.attemptOffset = failed.attempts;
        continue;
      }
      throw failed;
    }
  }
}

/**
 * A short step as a local activity: run by the worker that runs the workflow, its result recorded
 * in the workflow task (no activity task round trip). Retries and the per-attempt timeout are the
 * step's; there is no heartbeat, so a worker lost mid-step re-runs it when the workflow task moves.
 */
async function runLocalStep(
  host: StepHost,
  i: number,
  stepScope: CancellationScope,
  call: StepCall,
  timeoutMs: number,
  where: string,
  item: MapItem | undefined,
): Promise<StepReport> {
  const step = host.graph.steps[i]!;
  const options: LocalActivityOptions = {
    summary: call.path.join(' / '),
    startToCloseTimeout: timeoutMs,
    cancellationType: 'TRY_CANCEL',
    retry: retryPolicy(step.retry, Math.max(1, step.retry.attempts)),
  };
  if (item === undefined) host.state.attempts[i] = 1;
  try {
    return await scheduleLocalActivity<StepReport>(STEP_ACTIVITY, [call], options);
  } catch (err) {
    if (isCancellation(err) && stepScope.consideredCancelled) throw new StepCancelled();
    throw activityError(err, where, timeoutMs, 0, options.retry!.maximumAttempts!);
  }
}

/** One item of a map step: its index and its input. */
export interface MapItem {
  index: number;
  count: number;
  input: unknown;
}
