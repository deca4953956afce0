/**
 * The generic DAG interpreter workflow. It receives a flow's graph as data (never code) and
 * runs every step as an activity that the worker resolves by (root task/flow, step path).
 *
 * This file is bundled into Temporal's deterministic workflow sandbox: it may import only
 * `@temporalio/workflow` and `./wire` (no Node modules, no @cascadence/core). The scheduling
 * rules mirror @cascadence/core's Engine exactly (trigger rules, skip propagation, fail-fast,
 * cancellation, flow deadlines), so a flow gives the same RunResult locally and on Temporal.
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
  OUTPUT_ACTIVITY,
  RUN_FAILED_TYPE,
  SPEC_VERSION,
  CANCEL_REASON_SIGNAL,
  STATE_QUERY,
  STEP_ACTIVITY,
  formatBytes,
  jsonSize,
  stepWhere,
  wireRetryDelay,
  type OutputCall,
  type RunSpec,
  type RunSummary,
  type StepCall,
  type StepFailureDetails,
  type StepReport,
  type WireError,
  type WireGraph,
  type WireRetry,
  type WireStepResult,
  type WireStepStatus,
} from './wire';

export { WORKFLOW_TYPE } from './wire';

const PENDING = 0;
const RUNNING = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const SKIPPED = 4;
const CANCELLED = 5;
const STATUS_NAMES: readonly WireStepStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

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
  return cascadenceError('TimeoutError', 'CASCADENCE_TIMEOUT', `${what} timed out after ${ms} ms`, { timeoutMs: ms });
}

/** Same wording as core's CancelledError(what, reason). */
function cancelledError(what: string, reason: WireError | undefined): WireError {
  return cascadenceError('CancelledError', 'CASCADENCE_CANCELLED', `${what} was cancelled${reason === undefined ? '' : `: ${reason.message}`}`);
}

function payloadTooLarge(what: string, size: number, limit: number): WireError {
  return cascadenceError(
    'CascadenceError',
    'CASCADENCE_TEMPORAL_PAYLOAD_TOO_LARGE',
    `${what} is ${formatBytes(size)}, over the ${formatBytes(limit)} Temporal payload limit (maxPayloadBytes); ` +
      'keep large data outside the workflow (a file, an object store) and pass a reference',
    { size, limit },
  );
}

function isRetryable(retry: WireRetry, error: WireError): boolean {
  if (error.code === 'CASCADENCE_NON_RETRYABLE') return false;
  return !retry.nonRetryable.some((rule) => rule === error.name || rule === error.code);
}

/** Translates an activity failure into the step's error and attempt count. */
function activityError(err: unknown, where: string, timeoutMs: number, attemptOffset: number, maxAttempts: number): StepFailed {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    // Timeouts are retryable, so an activity that ends in one has used all its attempts.
    const attempts = attemptOffset + maxAttempts;
    if (cause.timeoutType === 'HEARTBEAT') {
      return new StepFailed(
        cascadenceError('CascadenceError', 'CASCADENCE_TEMPORAL_WORKER_LOST', `${where} stopped heartbeating (its worker was lost or its event loop blocked)`),
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

/** One run of one graph (the root flow, or a nested flow inlined as a step). */
class GraphRun {
  private readonly n: number;
  private readonly status: number[];
  private readonly upstreamFailed: boolean[];
  private readonly remaining: number[];
  private readonly attempts: number[];
  private readonly startedAt: Array<number | undefined>;
  private readonly endedAt: Array<number | undefined>;
  private readonly outputs: unknown[];
  private readonly errors: Array<WireError | undefined>;
  private readonly stepScopes: Array<CancellationScope | undefined>;
  private readonly tokens: number[];
  private readonly dependants: number[][];
  readonly results: Record<string, unknown> = {};
  private readonly ready: number[] = [];
  private readyHead = 0;
  private running = 0;
  private settled = 0;
  private pumping = false;
  private finished = false;
  private failFastTriggered = false;
  private firstError: WireError | undefined;
  private abortStatus: 'failed' | 'cancelled' | undefined;
  private abortReason: WireError | undefined;
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
    this.dependants = graph.steps.map(() => []);
    graph.steps.forEach((step, i) => {
      for (const need of step.needs) this.dependants[need]!.push(i);
    });
    this.n = n;
    this.status = new Array<number>(n).fill(PENDING);
    this.upstreamFailed = new Array<boolean>(n).fill(false);
    this.remaining = graph.steps.map((step) => step.needs.length);
    this.attempts = new Array<number>(n).fill(0);
    this.startedAt = new Array(n).fill(undefined);
    this.endedAt = new Array(n).fill(undefined);
    this.outputs = new Array(n).fill(undefined);
    this.errors = new Array(n).fill(undefined);
    this.stepScopes = new Array(n).fill(undefined);
    this.tokens = new Array<number>(n).fill(0);
    this.what = `${graph.kind} "${graph.name}"`;
    this.done = new Promise<Outcome>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  run(): Promise<Outcome> {
    // Cancellation of the workflow (or of the parent step) reaches us through our scope.
    this.scope.cancelRequested.catch(() => {
      if (!this.finished && this.abortStatus === undefined) {
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
    this.graph.steps.forEach((step, i) => {
      if (step.needs.length === 0) this.ready.push(i);
    });
    this.pump();
    return this.done;
  }

  private where(i: number): string {
    return stepWhere(this.graph.kind, this.graph.name, this.graph.steps[i]!.id);
  }

  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      while (this.readyHead < this.ready.length && this.running < this.spec.options.concurrency) {
        if (this.abortStatus !== undefined) break;
        const i = this.ready[this.readyHead++]!;
        if (this.failFastTriggered && this.graph.steps[i]!.when === 'all-succeeded') {
          this.skip(i, true, true);
          continue;
        }
        this.startStep(i);
      }
    } finally {
      this.pumping = false;
    }
    if (this.settled === this.n && this.abortStatus === undefined) this.finish();
  }

  private startStep(i: number): void {
    const step = this.graph.steps[i]!;
    this.status[i] = RUNNING;
    this.running++;
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

  private neededResults(i: number): Record<string, unknown> {
    const own: Record<string, unknown> = {};
    for (const need of this.graph.steps[i]!.needs) {
      const id = this.graph.steps[need]!.id;
      if (id in this.results) own[id] = this.results[id];
    }
    return own;
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
      results: this.neededResults(i),
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
      this.attempts[i] = call.attemptOffset + 1;
      try {
        const report = await scheduleActivity<StepReport>(STEP_ACTIVITY, [call], activityOptions);
        return { output: report.output, attempt: call.attemptOffset + report.attempt };
      } catch (err) {
        if (isCancellation(err) && stepScope.consideredCancelled) throw new StepCancelled();
        const failed = activityError(err, where, timeoutMs, call.attemptOffset, maximumAttempts);
        const lost = err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'HEARTBEAT';
        if (lost && losses < options.workerLossRetries && this.abortStatus === undefined) {
          // The attempt died with its worker: run it again on another worker, without charging the retry budget.
          losses++;
          call.attemptOffset = failed.attempts;
          continue;
        }
        throw failed;
      }
    }
  }

  /** Runs a nested flow inline, with the step's retry policy and timeout applied by the workflow. */
  private async runNestedStep(i: number, stepScope: CancellationScope): Promise<StepReport> {
    const step = this.graph.steps[i]!;
    const flow = step.flow!;
    const where = this.where(i);
    for (let attempt = 1; ; attempt++) {
      this.attempts[i] = attempt;
      let failure: StepFailed;
      try {
        return { output: await this.runNestedOnce(i, stepScope, flow, where), attempt };
      } catch (err) {
        if (err instanceof StepCancelled || (isCancellation(err) && stepScope.consideredCancelled)) throw new StepCancelled();
        failure = err instanceof StepFailed ? err : new StepFailed({ name: 'Error', message: String(err) }, attempt);
      }
      if (attempt < step.retry.attempts && this.abortStatus === undefined && !this.failFastTriggered && isRetryable(step.retry, failure.error)) {
        try {
          await sleep(wireRetryDelay(step.retry, attempt, Math.random));
        } catch (err) {
          if (isCancellation(err)) throw new StepCancelled();
          throw err;
        }
        continue;
      }
      throw new StepFailed(failure.error, attempt);
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
    if (outcome.status === 'cancelled' && this.abortStatus !== undefined) throw new StepCancelled();
    const failedSteps = Object.entries(outcome.steps)
      .filter(([, s]) => s.status === 'failed')
      .map(([id]) => id);
    const error = cascadenceError(
      'CascadenceError',
      'CASCADENCE_FLOW_FAILED',
      `flow "${flow.name}" ${outcome.status}${failedSteps.length > 0 ? ` (failed steps: ${failedSteps.join(', ')})` : ''}${outcome.error ? `: ${outcome.error.message}` : ''}`,
      { flow: flow.name },
    );
    if (outcome.error !== undefined) error.cause = outcome.error;
    throw new StepFailed(error, 0);
  }

  private stepSucceeded(i: number, token: number, report: StepReport): void {
    if (this.tokens[i] !== token || this.status[i] !== RUNNING) return;
    this.running--;
    const step = this.graph.steps[i]!;
    this.status[i] = SUCCEEDED;
    this.attempts[i] = report.attempt;
    this.outputs[i] = report.output;
    this.results[step.id] = report.output;
    this.endedAt[i] = Date.now();
    this.settled++;
    this.release(i);
    this.pump();
  }

  private stepFailed(i: number, token: number, thrown: unknown): void {
    if (this.tokens[i] !== token || this.status[i] !== RUNNING) return;
    if (thrown instanceof StepCancelled || (isCancellation(thrown) && this.stepScopes[i]?.consideredCancelled === true)) {
      // Only an outside cancellation gets here (our own cancellations mark the step first).
      const reason = cancelReason(this.context);
      this.abortRun(cancelledError(this.what, reason), 'cancelled', reason);
      return;
    }
    const failed =
      thrown instanceof StepFailed
        ? thrown
        : new StepFailed({ name: 'Error', message: thrown instanceof Error ? thrown.message : String(thrown) }, Math.max(1, this.attempts[i]!));
    this.running--;
    this.status[i] = FAILED;
    this.attempts[i] = failed.attempts;
    this.errors[i] = failed.error;
    this.endedAt[i] = Date.now();
    this.settled++;
    this.firstError ??= failed.error;
    if (this.spec.options.failFast && !this.failFastTriggered) {
      this.failFastTriggered = true;
      this.cancelInFlight({ name: 'Error', message: `fail-fast after ${this.where(i)} failed` }, false);
    }
    this.release(i);
    this.pump();
  }

  private cancelInFlight(reason: WireError | undefined, stopAll: boolean): void {
    const t = Date.now();
    for (let i = 0; i < this.n; i++) {
      const state = this.status[i];
      if (state !== RUNNING && !(stopAll && state === PENDING)) continue;
      if (state === RUNNING) {
        this.stepScopes[i]?.cancel();
        this.running--;
      }
      this.status[i] = CANCELLED;
      this.errors[i] = cancelledError(this.where(i), reason);
      this.endedAt[i] = t;
      this.settled++;
      if (!stopAll) this.release(i);
    }
  }

  private abortRun(runError: WireError, status: 'failed' | 'cancelled', stepReason: WireError | undefined): void {
    if (this.finished || this.abortStatus !== undefined) return;
    this.abortStatus = status;
    this.abortReason = runError;
    this.cancelInFlight(stepReason, true);
    this.finish();
  }

  private release(from: number): void {
    const steps = this.graph.steps;
    const stack = [from];
    while (stack.length > 0) {
      const j = stack.pop()!;
      for (const d of this.dependants[j]!) {
        this.remaining[d]!--;
        if (this.remaining[d] !== 0 || this.status[d] !== PENDING) continue;
        const rule = steps[d]!.when;
        let allSucceeded = true;
        let anyFailed = false;
        for (const need of steps[d]!.needs) {
          const s = this.status[need];
          if (s !== SUCCEEDED) allSucceeded = false;
          if (s === FAILED || s === CANCELLED || (s === SKIPPED && this.upstreamFailed[need])) anyFailed = true;
        }
        const runIt = rule === 'all-done' || (rule === 'all-succeeded' ? allSucceeded : anyFailed);
        if (runIt) {
          this.ready.push(d);
        } else {
          this.skip(d, anyFailed, false);
          stack.push(d);
        }
      }
    }
  }

  private skip(i: number, upstreamFailed: boolean, release: boolean): void {
    this.status[i] = SKIPPED;
    if (upstreamFailed) this.upstreamFailed[i] = true;
    this.settled++;
    if (release) this.release(i);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timerScope?.cancel();
    void this.complete();
  }

  private async complete(): Promise<void> {
    let status: Outcome['status'] = this.abortStatus ?? (this.firstError === undefined ? 'succeeded' : 'failed');
    let error = this.abortReason ?? this.firstError;
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
    if (this.graph.kind === 'task') return this.outputs[0];
    // Like the engine: by default the outputs of the final steps; output() sees every succeeded step.
    const results: Record<string, unknown> = {};
    for (let i = 0; i < this.n; i++) {
      if (this.status[i] !== SUCCEEDED) continue;
      if (this.graph.hasOutput || this.dependants[i]!.length === 0) results[this.graph.steps[i]!.id] = this.outputs[i];
    }
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
    for (let i = 0; i < this.n; i++) {
      const attempts = this.attempts[i]!;
      const started = this.startedAt[i];
      const ended = this.endedAt[i];
      const result: WireStepResult = { status: STATUS_NAMES[this.status[i]!]!, attempts };
      if (this.status[i] === SUCCEEDED) result.output = this.outputs[i];
      const error = this.errors[i];
      if (error !== undefined) result.error = error;
      if (started !== undefined && (attempts > 0 || this.status[i] !== PENDING)) {
        result.startedAt = started;
        if (ended !== undefined) result.durationMs = ended - started;
      }
      steps[this.graph.steps[i]!.id] = result;
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
      'CASCADENCE_TEMPORAL_SPEC_VERSION',
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
