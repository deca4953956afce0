/**
 * One run of one graph inside the workflow — the root flow, or a nested flow inlined as a step.
 * It drives core's dag RunState (what runs next, skips, fail-fast, final status and error) with
 * Temporal's means: activities, timers and cancellation scopes. Sandbox-safe: bundled with
 * workflow.ts.
 */
import { CancellationScope, isCancellation, patched, scheduleActivity, sleep } from '@temporalio/workflow';
import {
  RULE_CODES,
  RUNNING,
  RunState,
  STEP_STATUS_NAMES,
  SUCCEEDED,
  dagShape,
  resolveReuse,
  failFastMessage,
  runWhat,
  stepWhere,
  type CancelledWhile,
  type DagShape,
} from '@cascadence/core/dag';
import { decodeColumn } from './compact-spec';
import { historyFull, type Carry } from './partition';
import { decodeStepResults } from './summary-codec';
import {
  NESTED_SETTLE_PATCH,
  PARTITION_SETTLE_PATCH,
  PARTITIONS_PATCH,
  OUTPUT_ACTIVITY,
  type OutputCall,
  type RunSpec,
  type StepReport,
  type WireError,
  type WireGraph,
  type WireStepResult,
} from './wire';
import { cancelMapItems, runMapItems, type WireItemResult } from './map-items';
import { runMapBatches } from './map-batches';
import { runActivityStep, runMapFunction } from './activity-step';

import { runNestedStep, type NestedHost } from './nested-step';
import { StepCancelled, StepFailed, activityError, cancelledError, timeoutError } from './workflow-failures';

/** The key of a map function's list among the step's needed results (and a batch's reused steps): no step of the graph. */
const FN_ITEMS = '#map-function-items';

export interface Outcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  output?: unknown;
  error?: WireError;
  steps: Record<string, WireStepResult>;
  /** The root run stopped to continue as a new workflow run (partition.ts); status and steps are not final. */
  continued?: true;
}

/** State shared by the graphs of one workflow run (module state would be shared between runs). */
export interface RunContext {
  activitySeq: number;
  /** Why the run was cancelled, when the canceller said (sent as a signal just before the cancel). */
  cancelReason: string | undefined;
}

export function cancelReason(context: RunContext): WireError | undefined {
  return context.cancelReason === undefined || context.cancelReason === '' ? undefined : { name: 'Error', message: context.cancelReason };
}

/**
 * One run of one graph (the root flow, or a nested flow inlined as a step): drives core's
 * RunState with activities, timers and cancellation scopes.
 */
export class GraphRun implements NestedHost {
  readonly state: RunState<WireError>;
  readonly ids: string[];
  private readonly startedAt: Array<number | undefined>;
  private readonly endedAt: Array<number | undefined>;
  private readonly stepScopes: Array<CancellationScope | undefined>;
  /** Bumped per start of a step: a late answer of an attempt that was cancelled is ignored. */
  private readonly tokens: number[];
  private pumping = false;
  private finished = false;
  /** Nested runs not yet ended: a cancelled nested step's flow may still run its `always` steps. */
  private childrenRunning = 0;
  private childrenEnded: (() => void) | undefined;
  private timerScope: CancellationScope | undefined;
  private resolveDone!: (outcome: Outcome) => void;
  readonly done: Promise<Outcome>;
  private readonly what: string;
  private readonly shape: DagShape;
  /** Item results of map steps, by step index. */
  private mapResults: Array<WireItemResult[] | undefined> | undefined;
  /** Steps that ended (succeeded, failed, skipped themselves, reused), in that order: what a partition carries. */
  readonly settleOrder: number[] = [];
  /** The history is long: no new steps start, and the run continues as new once the running ones have ended. */
  private draining = false;
  /** The state of the partitions before this one (root only). */
  private carry: Carry | undefined;

  constructor(
    readonly spec: RunSpec,
    readonly graph: WireGraph,
    private readonly input: unknown,
    /** Step ids leading to this graph (empty for the root). */
    readonly path: string[],
    private readonly scope: CancellationScope,
    private readonly isRoot: boolean,
    readonly context: RunContext,
  ) {
    const n = graph.steps.length;
    this.ids = graph.steps.map((step) => step.id);
    this.shape = dagShape(
      graph.steps.map((step) => step.needs),
      graph.steps.map((step) => RULE_CODES[step.when]),
      undefined,
      graph.steps.map((step) => step.disabled === true),
      graph.statusFrom === 'leaves',
    );
    this.state = new RunState<WireError>(this.shape, spec.options.failFast);
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
      // A later partition waits only for what is left of the run's timeout.
      const left = this.carry === undefined ? ms : Math.max(1, ms - (Date.now() - this.carry.startedAt));
      timerScope
        .run(() => sleep(left))
        .then(
          () => {
            const error = timeoutError(this.what, ms);
            this.abortRun(error, 'failed', error);
          },
          () => undefined,
        );
    }
    // A retry of an earlier run: steps that succeeded there keep their outputs (checked by the client).
    const reuse = this.isRoot && this.carry === undefined ? this.spec.reuse : undefined;
    if (reuse !== undefined) {
      const resolved = resolveReuse(this.shape, this.ids, (id) => indexOf(this.ids, id), reuse);
      if (resolved.reuse !== undefined) {
        this.state.reuse(resolved.reuse.steps, resolved.reuse.outputs);
        this.settleOrder.push(...resolved.reuse.steps);
      }
    }
    this.state.seed();
    if (this.carry !== undefined) this.restore(this.carry);
    this.pump();
    return this.done;
  }

  /** Before run(): this run continues a partitioned one (root only). */
  resume(carry: Carry): void {
    this.carry = carry;
  }

  /**
   * Re-applies the steps that ended in earlier partitions, in the order they ended, to the fresh
   * RunState: it decides their dependants (skips, trigger rules, what is ready) as it did then.
   */
  private restore(carry: Carry): void {
    const { results } = decodeStepResults(carry.steps, carry.startedAt);
    for (const i of decodeColumn(carry.order)) {
      const result = results[i]!;
      this.state.start(i);
      if (result.status === 'succeeded') this.state.succeed(i, result.output);
      else if (result.status === 'skipped' && result.skipReason === 'self') this.state.skipSelf(i, result.skipMessage ?? '');
      else {
        this.state.fail(i, result.error ?? { name: 'Error', message: 'failed' });
        this.state.release(i);
      }
      this.settleOrder.push(i);
    }
    results.forEach((result, i) => {
      this.state.attempts[i] = result.attempts;
      this.startedAt[i] = result.startedAt;
      if (result.startedAt !== undefined && result.durationMs !== undefined) this.endedAt[i] = result.startedAt + result.durationMs;
      if (result.items !== undefined) (this.mapResults ??= [])[i] = result.items as WireItemResult[];
    });
  }

  where(i: number): string {
    return stepWhere(this.graph.kind === 'flow' ? this.graph.name : undefined, this.ids[i]!);
  }

  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      // A stopping run (cancelled, timed out, fail-fast: mayRetry false) ends in this partition.
      if (!this.draining && this.isRoot && this.state.mayRetry && historyFull(this.spec.options) && patched(PARTITIONS_PATCH)) {
        this.draining = true;
      }
      if (!this.draining) {
        for (let i = this.state.next(this.spec.options.concurrency); i >= 0; i = this.state.next(this.spec.options.concurrency)) {
          this.startStep(i);
        }
      }
    } finally {
      this.pumping = false;
    }
    if (this.state.complete) this.finish();
    else if (this.draining && this.state.running === 0) {
      if (this.state.mayRetry) {
        // Nested runs still ending (an `always` step of a timed-out nested step) end in this partition.
        if (this.childrenRunning > 0 && patched(PARTITION_SETTLE_PATCH)) {
          this.childrenEnded = () => {
            this.childrenEnded = undefined;
            this.pump();
          };
          return;
        }
        this.continueAsNew();
      } else {
        this.draining = false;
        this.pump();
      }
    }
  }

  /** Every running step has ended: the workflow continues as a new run with this one's state (partition.ts). */
  private continueAsNew(): void {
    this.finished = true;
    this.resolveDone({ status: 'succeeded', steps: {}, continued: true });
  }

  private startStep(i: number): void {
    const step = this.graph.steps[i]!;
    this.state.start(i);
    this.startedAt[i] ??= Date.now();
    const token = ++this.tokens[i]!;
    // An `always` step is never cancelled (it runs even in a cancelled run), so outside
    // cancellation must not reach its activity either.
    const stepScope = new CancellationScope({ cancellable: !this.state.runsWhenStopped(i), parent: this.scope });
    this.stepScopes[i] = stepScope;
    const runner =
      step.map !== undefined
        ? () => this.runMapStep(i, stepScope)
        : step.kind === 'flow'
          ? () => runNestedStep(this, i, stepScope)
          : () => runActivityStep(this, i, stepScope);
    stepScope.run(runner).then(
      (report) => this.stepSucceeded(i, token, report),
      (error: unknown) => this.stepFailed(i, token, error),
    );
  }

  stepInput(i: number): unknown {
    const step = this.graph.steps[i]!;
    return step.useFlowInput ? this.input : step.with;
  }

  /**
   * `ctx.results` of a map item: the step's needed results without the mapped step's output, which
   * would otherwise be copied into every item's activity input (history growing with items²).
   */
  itemResults(i: number): Record<string, unknown> {
    const results = this.state.neededResults(i, this.ids);
    const source = this.graph.steps[i]!.map!.path[0];
    if (source !== undefined) delete results[source];
    return results;
  }

  /** A map step: its items run through map-items.ts, each an activity (or a nested flow) of its own. */
  private async runMapStep(i: number, stepScope: CancellationScope): Promise<StepReport> {
    const step = this.graph.steps[i]!;
    // Recorded once the list is known: a step whose list is invalid (or whose map function failed) has no items, as locally.
    const itemResults = (): WireItemResult[] => ((this.mapResults ??= [])[i] = []);
    const runItem = (k: number, item: unknown, count: number): Promise<StepReport> =>
      step.kind === 'flow'
        ? runNestedStep(this, i, stepScope, { index: k, count, input: item })
        : runActivityStep(this, i, stepScope, { index: k, count, input: item });
    let needed = this.state.neededResults(i, this.ids);
    let map = step.map!;
    const where = this.where(i);
    if (map.fn === true) {
      // The function's list joins the needed results under a key no step id has, and is mapped like `map: 'list'`.
      const items = await runMapFunction(this, i, stepScope, needed);
      needed = { ...needed, [FN_ITEMS]: items };
      map = { path: [FN_ITEMS], failFast: map.failFast, ...(map.concurrency === undefined ? {} : { concurrency: map.concurrency }) };
    }
    // Lists longer than a batch run in child workflows (map-batches.ts); specs of older releases have no batch size (never batch).
    const batchItems = this.spec.options.mapBatchItems;
    const output = await runMapItems(
      stepScope,
      map,
      needed,
      where,
      runItem,
      itemResults,
      this.spec.options.concurrency,
      batchItems,
      batchItems === undefined
        ? undefined
        : (items, into) => runMapBatches(this, i, map, stepScope, needed, where, items, into, batchItems),
    );
    return { output, attempt: 1 };
  }

  /** A nested flow's run, inline in this workflow, in `scope` (nested-step.ts drives its retries and timeout). */
  childRun(flow: WireGraph, input: unknown, stepId: string, scope: CancellationScope): Promise<Outcome> {
    const child = new GraphRun(this.spec, flow, input, [...this.path, stepId], scope, false, this.context);
    const outcome = scope.run(() => child.run());
    this.childrenRunning++;
    const ended = (): void => {
      if (--this.childrenRunning === 0) this.childrenEnded?.();
    };
    outcome.then(ended, ended);
    return outcome;
  }

  private stepSucceeded(i: number, token: number, report: StepReport): void {
    if (this.tokens[i] !== token || !this.isRunning(i)) return;
    this.state.attempts[i] = report.attempt;
    this.endedAt[i] = Date.now();
    this.settleOrder.push(i);
    if (report.skipped !== undefined) this.state.skipSelf(i, report.skipped);
    else this.state.succeed(i, report.output);
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
        : new StepFailed(
            { name: 'Error', message: thrown instanceof Error ? thrown.message : String(thrown) },
            Math.max(1, this.state.attempts[i]!),
          );
    this.endedAt[i] = Date.now();
    this.settleOrder.push(i);
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
    const error = cancelledError(this.where(i), reason);
    const items = this.mapResults?.[i];
    if (items !== undefined) cancelMapItems(items, this.graph.steps[i]!.map!, this.where(i), error);
    return error;
  }

  private abortRun(runError: WireError, status: 'failed' | 'cancelled', stepReason: WireError | undefined): void {
    if (this.finished) return;
    // Pumped, not finished: the run ends when its `always` steps (if any) have ended.
    if (this.state.abort(status, runError, (i, while_) => this.cancelStep(i, while_, stepReason))) this.pump();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timerScope?.cancel();
    void this.complete();
  }

  private async complete(): Promise<void> {
    // As on the local engine, the run ends after the nested runs still ending (runs recorded before this waited for none).
    if (this.childrenRunning > 0 && patched(NESTED_SETTLE_PATCH)) {
      await new Promise<void>((resolve) => (this.childrenEnded = resolve));
    }
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
      const skipReason = this.state.skipReasons[i];
      if (skipReason !== undefined) result.skipReason = skipReason;
      const skipMessage = this.state.skipMessages[i];
      if (skipMessage !== undefined) result.skipMessage = skipMessage;
      const items = this.mapResults?.[i];
      if (items !== undefined) result.items = items;
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

function indexOf(ids: readonly string[], id: string): number | undefined {
  const i = ids.indexOf(id);
  return i < 0 ? undefined : i;
}
