/**
 * The generic DAG interpreter workflow. It receives a flow's graph as data (never code) and
 * runs every step as an activity that the worker resolves by (root task/flow, step path).
 *
 * What a flow means — which step runs next, trigger rules and skips, fail-fast, the final status,
 * the run-level error, the default output, retry decisions and the wording of errors — comes from
 * `@cascadence/core/dag`, the same state machine the local engine drives. This file keeps only
 * what is Temporal's: activities, timers, cancellation scopes, the signal and query, and mapping
 * retry policies onto activity options.
 *
 * Bundled into Temporal's deterministic sandbox: it may import only `@temporalio/workflow`,
 * `@cascadence/core/dag` (sandbox-safe by contract and by test) and the plain-data files beside it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  defineQuery,
  defineSignal,
  isCancellation,
  scheduleActivity,
  setHandler,
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import {
  ErrorCode,
  RULE_CODES,
  RUNNING,
  RunState,
  STEP_STATUS_NAMES,
  SUCCEEDED,
  cancelledMessage,
  dagShape,
  decideRetry,
  failFastMessage,
  nestedFlowFailedMessage,
  runWhat,
  stepWhere,
  timeoutMessage,
  type CancelledWhile,
} from '@cascadence/core/dag';
import { TemporalErrorCode } from './error-codes';
import {
  OUTPUT_ACTIVITY,
  RUN_FAILED_TYPE,
  SPEC_VERSION,
  CANCEL_REASON_SIGNAL,
  STATE_QUERY,
  STEP_ACTIVITY,
  formatBytes,
  jsonSize,
  type OutputCall,
  type RunSpec,
  type RunSummary,
  type StepCall,
  type StepFailureDetails,
  type StepReport,
  type WireError,
  type WireGraph,
  type WireStepResult,
} from './wire';

export { WORKFLOW_TYPE } from './wire';

const stateQuery = defineQuery<RunSummary>(STATE_QUERY);
const cancelReasonSignal = defineSignal<[string]>(CANCEL_REASON_SIGNAL);

/** A step ended in failure: the error and how many attempts it took. */
class StepFailed {
  constructor(
    readonly error: WireError,
    readonly attempts: number,
  ) {}
}

/** Marker for "this step was cancelled" coming out of a step runner. */
class StepCancelled {}

interface Outcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  output?: unknown;
  error?: WireError;
  steps: Record<string, WireStepResult>;
}

/** State shared by the graphs of one workflow run (module state would be shared between runs). */
interface RunContext {
  activitySeq: number;
  /** Why the run was cancelled, when the canceller said (sent as a signal just before the cancel). */
  cancelReason: string | undefined;
}

function cancelReason(context: RunContext): WireError | undefined {
  return context.cancelReason === undefined || context.cancelReason === '' ? undefined : { name: 'Error', message: context.cancelReason };
}

function cascadenceError(name: string, code: string, message: string, details?: Record<string, unknown>): WireError {
  return details === undefined ? { name, code, message } : { name, code, message, details };
}

function timeoutError(what: string, ms: number): WireError {
  return cascadenceError('TimeoutError', ErrorCode.TIMEOUT, timeoutMessage(what, ms), { timeoutMs: ms });
}

/** Worded like core's CancelledError(what, reason). */
function cancelledError(what: string, reason: WireError | undefined): WireError {
  return cascadenceError('CancelledError', ErrorCode.CANCELLED, cancelledMessage(what, reason?.message ?? ''));
}

function payloadTooLarge(what: string, size: number, limit: number): WireError {
  return cascadenceError(
    'CascadenceError',
    TemporalErrorCode.PAYLOAD_TOO_LARGE,
    `${what} is ${formatBytes(size)}, over the ${formatBytes(limit)} Temporal payload limit (maxPayloadBytes); ` +
      'keep large data outside the workflow (a file, an object store) and pass a reference',
    { size, limit },
  );
}

/** Translates an activity failure into the step's error and attempt count. */
function activityError(err: unknown, where: string, timeoutMs: number, attemptOffset: number, maxAttempts: number): StepFailed {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    // Timeouts are retryable, so an activity that ends in one has used all its attempts.
    const attempts = attemptOffset + maxAttempts;
    if (cause.timeoutType === 'HEARTBEAT') {
      return new StepFailed(
        cascadenceError('CascadenceError', TemporalErrorCode.WORKER_LOST, `${where} stopped heartbeating (its worker was lost or its event loop blocked)`),
        attempts,
      );
    }
    return new StepFailed(timeoutError(where, timeoutMs), attempts);
  }
  if (cause instanceof ApplicationFailure) {
    const info = (cause.details?.[0] ?? undefined) as StepFailureDetails | undefined;
    const attempt = typeof info?.attempt === 'number' ? info.attempt : maxAttempts;
    const error: WireError = { name: info?.name ?? cause.type ?? 'Error', message: cause.message };
    if (info?.code !== undefined) error.code = info.code;
    if (info?.details !== undefined) error.details = info.details;
    return new StepFailed(error, attemptOffset + attempt);
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new StepFailed({ name: cause instanceof Error ? cause.name : 'Error', message }, attemptOffset + maxAttempts);
}

/**
 * One run of one graph (the root flow, or a nested flow inlined as a step): drives core's
 * RunState with activities, timers and cancellation scopes.
 */
class GraphRun {
  private readonly state: RunState<WireError>;
  private readonly ids: string[];
  private readonly startedAt: Array<number | undefined>;
  private readonly endedAt: Array<number | undefined>;
  private readonly stepScopes: Array<CancellationScope | undefined>;
  /** Bumped per start of a step: a late answer of an attempt that was cancelled is ignored. */
  private readonly tokens: number[];
  private pumping = false;
  private finished = false;
  private timerScope: CancellationScope | undefined;
  private resolveDone!: (outcome: Outcome) => void;
  readonly done: Promise<Outcome>;
  private readonly what: string;

  constructor(
    private readonly spec: RunSpec,
    readonly graph: WireGraph,
    private readonly input: unknown,
    /** Step ids leading to this graph (empty for the root). */
    private readonly path: string[],
    private readonly scope: CancellationScope,
    private readonly isRoot: boolean,
    private readonly context: RunContext,
  ) {
    const n = graph.steps.length;
    this.ids = graph.steps.map((step) => step.id);
    this.state = new RunState<WireError>(
      dagShape(
        graph.steps.map((step) => step.needs),
        graph.steps.map((step) => RULE_CODES[step.when]),
      ),
      spec.options.failFast,
    );
    this.startedAt = new Array(n).fill(undefined);
    this.endedAt = new Array(n).fill(undefined);
    this.stepScopes = new Array(n).fill(undefined);
    this.tokens = new Array<number>(n).fill(0);
    this.what = runWhat(graph.kind, graph.name);
    this.done = new Promise<Outcome>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  run(): Promise<Outcome> {
    // Cancellation of the workflow (or of the parent step) reaches us through our scope.
    this.scope.cancelRequested.catch(() => {
      if (!this.finished && !this.state.stopped) {
        const reason = cancelReason(this.context);
        this.abortRun(cancelledError(this.what, reason), 'cancelled', reason);
      }
    });
    if (this.isRoot && this.graph.timeoutMs !== undefined) {
      const ms = this.graph.timeoutMs;
      const timerScope = new CancellationScope({ cancellable: true, parent: this.scope });
      this.timerScope = timerScope;
      timerScope
        .run(() => sleep(ms))
        .then(
          () => {
            const error = timeoutError(this.what, ms);
            this.abortRun(error, 'failed', error);
          },
          () => undefined,
        );
    }
    this.state.seed();
    this.pump();
    return this.done;
  }

  private where(i: number): string {
    return stepWhere(this.graph.kind === 'flow' ? this.graph.name : undefined, this.ids[i]!);
  }

  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      for (let i = this.state.next(this.spec.options.concurrency); i >= 0; i = this.state.next(this.spec.options.concurrency)) {
        this.startStep(i);
      }
    } finally {
      this.pumping = false;
    }
    if (this.state.complete) this.finish();
  }

  private startStep(i: number): void {
    const step = this.graph.steps[i]!;
    this.state.start(i);
    this.startedAt[i] ??= Date.now();
    const token = ++this.tokens[i]!;
    const stepScope = new CancellationScope({ cancellable: true, parent: this.scope });
    this.stepScopes[i] = stepScope;
    const runner = step.kind === 'flow' ? () => this.runNestedStep(i, stepScope) : () => this.runActivityStep(i, stepScope);
    stepScope.run(runner).then(
      (report) => this.stepSucceeded(i, token, report),
      (error: unknown) => this.stepFailed(i, token, error),
    );
  }

  private stepInput(i: number): unknown {
    const step = this.graph.steps[i]!;
    return step.useFlowInput ? this.input : step.with;
  }

  /** Runs an activity step; Temporal retries it, and re-schedules it when its worker is lost. */
  private async runActivityStep(i: number, stepScope: CancellationScope): Promise<StepReport> {
    const step = this.graph.steps[i]!;
    const where = this.where(i);
    const options = this.spec.options;
    const call: StepCall = {
      runId: this.spec.runId,
      root: this.spec.root,
      path: [...this.path, step.id],
      label: step.label,
      input: this.stepInput(i),
      results: this.state.neededResults(i, this.ids),
      attemptOffset: 0,
      maxPayloadBytes: options.maxPayloadBytes,
    };
    if (this.graph.kind === 'flow') call.flow = this.graph.name;
    const size = jsonSize(call.input) + jsonSize(call.results);
    if (size > options.maxPayloadBytes) {
      throw new StepFailed(payloadTooLarge(`the input and needed results of ${where}`, size, options.maxPayloadBytes), 0);
    }
    const timeoutMs = step.timeoutMs ?? options.defaultStepTimeoutMs;
    let losses = 0;
    for (;;) {
      const used = call.attemptOffset - losses;
      const maximumAttempts = Math.max(1, step.retry.attempts - used);
      // The step's retry policy, as Temporal's activity retry policy (which has no jitter).
      const activityOptions: ActivityOptions = {
        activityId: `${++this.context.activitySeq}:${call.path.join('/')}`,
        summary: call.path.join(' / '),
        startToCloseTimeout: timeoutMs,
        heartbeatTimeout: options.heartbeatTimeoutMs,
        cancellationType: 'TRY_CANCEL',
        retry: {
          maximumAttempts,
          initialInterval: Math.max(1, step.retry.delayMs),
          backoffCoefficient: step.retry.backoff === 'fixed' ? 1 : 2,
          maximumInterval: Math.max(1, step.retry.backoff === 'fixed' ? step.retry.delayMs : step.retry.maxDelayMs),
          nonRetryableErrorTypes: step.retry.nonRetryable,
        },
      };
      this.state.attempts[i] = call.attemptOffset + 1;
      try {
        const report = await scheduleActivity<StepReport>(STEP_ACTIVITY, [call], activityOptions);
        return { output: report.output, attempt: call.attemptOffset + report.attempt };
      } catch (err) {
        if (isCancellation(err) && stepScope.consideredCancelled) throw new StepCancelled();
        const failed = activityError(err, where, timeoutMs, call.attemptOffset, maximumAttempts);
        const lost = err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'HEARTBEAT';
        if (lost && losses < options.workerLossRetries && !this.state.stopped) {
          // The attempt died with its worker: run it again on another worker, without charging the retry budget.
          losses++;
          call.attemptOffset = failed.attempts;
          continue;
        }
        throw failed;
      }
    }
  }

  /** Runs a nested flow inline; its retries are decided by core's decideRetry and waited with a workflow timer. */
  private async runNestedStep(i: number, stepScope: CancellationScope): Promise<StepReport> {
    const step = this.graph.steps[i]!;
    const flow = step.flow!;
    const where = this.where(i);
    for (let attempt = 1; ; attempt++) {
      this.state.attempts[i] = attempt;
      let failure: StepFailed;
      try {
        return { output: await this.runNestedOnce(i, stepScope, flow, where), attempt };
      } catch (err) {
        if (err instanceof StepCancelled || (isCancellation(err) && stepScope.consideredCancelled)) throw new StepCancelled();
        failure = err instanceof StepFailed ? err : new StepFailed({ name: 'Error', message: String(err) }, attempt);
      }
      const delayMs = decideRetry(step.retry, attempt, failure.error, this.state.mayRetry);
      if (delayMs < 0) throw new StepFailed(failure.error, attempt);
      try {
        await sleep(delayMs);
      } catch (err) {
        if (isCancellation(err)) throw new StepCancelled();
        throw err;
      }
    }
  }

  private async runNestedOnce(i: number, stepScope: CancellationScope, flow: WireGraph, where: string): Promise<unknown> {
    const step = this.graph.steps[i]!;
    const childScope = new CancellationScope({ cancellable: true, parent: stepScope });
    const child = new GraphRun(this.spec, flow, this.stepInput(i), [...this.path, step.id], childScope, false, this.context);
    const outcomePromise = childScope.run(() => child.run());
    let outcome: Outcome;
    if (step.timeoutMs === undefined) {
      outcome = await outcomePromise;
    } else {
      const ms = step.timeoutMs;
      const timerScope = new CancellationScope({ cancellable: true, parent: stepScope });
      const timedOut = timerScope.run(() => sleep(ms)).then(
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
    if (outcome.status === 'cancelled' && this.state.stopped) throw new StepCancelled();
    const failedSteps = Object.entries(outcome.steps)
      .filter(([, s]) => s.status === 'failed')
      .map(([id]) => id);
    const error = cascadenceError('CascadenceError', ErrorCode.FLOW_FAILED, nestedFlowFailedMessage(flow.name, outcome.status, failedSteps, outcome.error?.message), {
      flow: flow.name,
    });
    if (outcome.error !== undefined) error.cause = outcome.error;
    throw new StepFailed(error, 0);
  }

  private stepSucceeded(i: number, token: number, report: StepReport): void {
    if (this.tokens[i] !== token || !this.isRunning(i)) return;
    this.state.attempts[i] = report.attempt;
    this.endedAt[i] = Date.now();
    this.state.succeed(i, report.output);
    this.pump();
  }

  private stepFailed(i: number, token: number, thrown: unknown): void {
    if (this.tokens[i] !== token || !this.isRunning(i)) return;
    if (thrown instanceof StepCancelled || (isCancellation(thrown) && this.stepScopes[i]?.consideredCancelled === true)) {
      // Only an outside cancellation gets here (our own cancellations mark the step first).
      const reason = cancelReason(this.context);
      this.abortRun(cancelledError(this.what, reason), 'cancelled', reason);
      return;
    }
    const failed =
      thrown instanceof StepFailed
        ? thrown
        : new StepFailed({ name: 'Error', message: thrown instanceof Error ? thrown.message : String(thrown) }, Math.max(1, this.state.attempts[i]!));
    this.endedAt[i] = Date.now();
    const startsFailFast = this.state.fail(i, failed.error);
    this.state.attempts[i] = failed.attempts;
    if (startsFailFast) {
      const reason: WireError = { name: 'Error', message: failFastMessage(this.where(i)) };
      this.state.cancelInFlight(false, (j, while_) => this.cancelStep(j, while_, reason));
    }
    this.state.release(i);
    this.pump();
  }

  private isRunning(i: number): boolean {
    return this.state.status[i] === RUNNING;
  }

  /** One step caught by a cancellation: cancel its scope, and give its error. */
  private cancelStep(i: number, while_: CancelledWhile, reason: WireError | undefined): WireError {
    if (while_ === 'running') this.stepScopes[i]?.cancel();
    this.endedAt[i] = Date.now();
    return cancelledError(this.where(i), reason);
  }

  private abortRun(runError: WireError, status: 'failed' | 'cancelled', stepReason: WireError | undefined): void {
    if (this.finished) return;
    if (this.state.abort(status, runError, (i, while_) => this.cancelStep(i, while_, stepReason))) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timerScope?.cancel();
    void this.complete();
  }

  private async complete(): Promise<void> {
    let { status, error } = this.state.outcome();
    let output: unknown;
    if (status === 'succeeded') {
      try {
        output = await this.computeOutput();
      } catch (thrown) {
        status = 'failed';
        error = thrown instanceof StepFailed ? thrown.error : { name: 'Error', message: String(thrown) };
      }
    }
    const outcome: Outcome = { status, steps: this.stepResults() };
    if (status === 'succeeded') outcome.output = output;
    if (error !== undefined) outcome.error = error;
    this.resolveDone(outcome);
  }

  private async computeOutput(): Promise<unknown> {
    if (this.graph.kind === 'task') return this.state.outputs[0];
    // By default the outputs of the final steps; output() (run on a worker) sees every succeeded step.
    const results = this.state.succeededOutputs(this.ids, this.graph.hasOutput);
    if (!this.graph.hasOutput) return results;
    const call: OutputCall = {
      root: this.spec.root,
      path: this.path,
      results,
      input: this.input,
      maxPayloadBytes: this.spec.options.maxPayloadBytes,
    };
    try {
      return await CancellationScope.nonCancellable(() =>
        scheduleActivity(OUTPUT_ACTIVITY, [call], {
          activityId: `${++this.context.activitySeq}:output:${this.graph.name}`,
          summary: `output of flow ${this.graph.name}`,
          startToCloseTimeout: this.spec.options.defaultStepTimeoutMs,
          heartbeatTimeout: this.spec.options.heartbeatTimeoutMs,
          retry: { maximumAttempts: 1 },
        }),
      );
    } catch (err) {
      throw activityError(err, `output of flow "${this.graph.name}"`, this.spec.options.defaultStepTimeoutMs, 0, 1);
    }
  }

  stepResults(): Record<string, WireStepResult> {
    const steps: Record<string, WireStepResult> = {};
    const { status, attempts, outputs, errors } = this.state;
    for (let i = 0; i < this.state.n; i++) {
      const tries = attempts[i]!;
      const started = this.startedAt[i];
      const ended = this.endedAt[i];
      const code = status[i]!;
      const result: WireStepResult = { status: STEP_STATUS_NAMES[code]!, attempts: tries };
      if (code === SUCCEEDED) result.output = outputs[i];
      const error = errors[i];
      if (error !== undefined) result.error = error;
      if (started !== undefined && (tries > 0 || result.status !== 'pending')) {
        result.startedAt = started;
        if (ended !== undefined) result.durationMs = ended - started;
      }
      steps[this.ids[i]!] = result;
    }
    return steps;
  }
}

/**
 * Runs a Cascadence task or flow described by `spec`. Resolves to a RunSummary when the flow
 * succeeds; fails (ApplicationFailure of type CascadenceRunFailed, details[0] = the summary)
 * when it fails; ends as cancelled when the workflow is cancelled (the summary stays
 * available through the `cascadence.state` query).
 */
export async function cascadenceFlow(input: RunSpec): Promise<RunSummary> {
  if (input?.version !== SPEC_VERSION) {
    throw ApplicationFailure.nonRetryable(
      `cascadenceFlow expects a RunSpec of version ${SPEC_VERSION} (got ${String(input?.version)}); client and worker run different @cascadence/temporal versions`,
      TemporalErrorCode.SPEC_VERSION,
    );
  }
  // Scheduled runs carry no run id: each fire uses its Temporal run id.
  const spec: RunSpec = input.runId === '' ? { ...input, runId: workflowInfo().runId } : input;
  const startedAt = Date.now();
  const rootScope = new CancellationScope({ cancellable: true, parent: CancellationScope.current() });
  const context: RunContext = { activitySeq: 0, cancelReason: undefined };
  setHandler(cancelReasonSignal, (reason: string) => {
    context.cancelReason = reason;
  });
  const run = new GraphRun(spec, spec.graph, spec.input, [], rootScope, true, context);
  let final: RunSummary | undefined;
  setHandler(stateQuery, () => final ?? { runId: spec.runId, task: spec.root, status: 'running', steps: run.stepResults(), startedAt, durationMs: Date.now() - startedAt });
  const outcome = await rootScope.run(() => run.run());
  const summary: RunSummary = {
    runId: spec.runId,
    task: spec.root,
    status: outcome.status,
    steps: outcome.steps,
    startedAt,
    durationMs: Date.now() - startedAt,
  };
  if (outcome.status === 'succeeded') summary.output = outcome.output;
  if (outcome.error !== undefined) summary.error = outcome.error;
  final = summary;

  const size = jsonSize(summary);
  if (size > spec.options.maxPayloadBytes) {
    const error = payloadTooLarge(`the result of ${spec.graph.kind} "${spec.root}" (all step outputs together)`, size, spec.options.maxPayloadBytes);
    throw ApplicationFailure.create({ message: error.message, type: error.code, nonRetryable: true });
  }
  if (summary.status === 'succeeded') return summary;
  if (summary.status === 'cancelled') throw new CancelledFailure(summary.error?.message ?? `${spec.graph.kind} "${spec.root}" was cancelled`);
  throw ApplicationFailure.create({
    message: summary.error?.message ?? `${spec.graph.kind} "${spec.root}" failed`,
    type: RUN_FAILED_TYPE,
    nonRetryable: true,
    details: [summary],
  });
}
