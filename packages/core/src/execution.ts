/**
 * One local run of one flow (or lone task): drives the dag RunState with real functions, timers,
 * AbortSignals and events. What a flow *means* is decided by RunState; this file only does what
 * is local: calling step functions, timeouts, retry timers, cancellation of running steps. Events
 * are built in execution-events.ts, the RunResult in execution-result.ts. A service runs
 * thousands of small flows at once, so a run allocates little: no event object when nobody
 * listens, arrays made on first use, and the clock read once per step end (see `at`).
 */
import { failFastMessage, runWhat, stepWhere } from './dag/messages';
import { RunState, type CancelledWhile } from './dag/run-state';
import type { SkipReason } from './dag/status';
import type { Engine } from './engine';
import { CancelledError, CascadenceError, ErrorCode, TimeoutError, toError } from './errors';
import * as report from './execution-events';
import type { ExecutionSettings } from './execution-settings';
import { defaultOutput, nestedOutput, runResult } from './execution-result';
import type { Flow } from './flow';
import { MapRun } from './map-run';
import { mapItems, type MapPlan } from './map-spec';
import type { RunResult, RunStatus } from './result';
import { decideRetry } from './retry';
import type { RunTracer } from './run-tracer';
import { sleepSync } from './sleep-sync';
import { StepContext } from './step-context';
import { skipSignalReason } from './step-skip';
import type { RunnablePlan, StepPlan } from './step-plan';
import { isThenable } from './thenable';

const now = (): number => performance.now();

const ONCE = Object.freeze({ once: true });

/** One executor for every run's promise (no closure per run): the executor runs within `new Promise`. */
let captured: ((result: RunResult) => void) | undefined;
const captureResolve = (resolve: (result: RunResult) => void): void => {
  captured = resolve;
};

/** What `contexts` holds in a synchronous run: nothing can cancel a step while it runs. */
const NO_CONTEXTS: Array<StepContext | undefined> = Object.freeze([]) as never;

export class Execution {
  readonly promise: Promise<RunResult> | undefined;
  result: RunResult | undefined;
  readonly state: RunState<Error>;
  readonly flowName: string | undefined;
  readonly runId: string;
  readonly sync: boolean;
  /** Per step: the first attempt's start at [i], its end at [n + i] (performance.now(); 0: none). */
  readonly times: number[];
  /** The item runs of `map` steps, by step index (created for the first map step). */
  maps: Array<MapRun | undefined> | undefined;
  /** The bus's tracer when this run began (a nested run: its parent's), and the run's scope from it. */
  readonly tracer: RunTracer | undefined;
  traceScope: unknown;
  /** @internal The engine's list of unfinished runs (Engine.cancel): where this run is in it, or -1. */
  slot = -1;
  /** @internal For Engine.cancel: the order top-level async runs were started in. */
  startOrder = 0;

  private resolvePromise: ((result: RunResult) => void) | undefined;
  /**
   * Contexts of running steps, for cancellation (async runs only). Dropped when the step ends: kept
   * to the end of the run, every ctx (and its ctx.results) outlived the young generation and a
   * 100k-step chain that read ctx.results spent most of its extra time in the GC.
   */
  private readonly contexts: Array<StepContext | undefined>;
  /** Created on the first retry: most runs never wait for one. */
  private retryTimers: Map<number, ReturnType<typeof setTimeout>> | undefined;
  private pumping = false;
  private finished = false;
  /**
   * Nested runs not yet ended. A nested step cancelled or timed out ends at once, but its flow's
   * `always` steps still run: the run ends after them, as it does after its own `always` steps.
   */
  private nestedRunning = 0;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private onAbort: (() => void) | undefined;
  private readonly runStartedAt: number;
  private readonly limit: number;
  /**
   * The last clock reading, while no code but the engine's has run since (-1: none). A step that
   * starts right after another ended, in the same synchronous stretch, starts at that instant:
   * one performance.now() per step instead of two (it costs ~0.1 µs, a tenth of a small step).
   */
  private clock: number;

  constructor(
    readonly engine: Engine,
    readonly plan: RunnablePlan,
    readonly input: unknown,
    readonly settings: ExecutionSettings,
    private readonly parent: Execution | undefined,
    /** For a nested run: the tracer scope of the parent's step attempt that runs it. */
    private readonly parentTraceScope: unknown,
    /** performance.now() when the run started. */
    startedAt: number,
  ) {
    const n = plan.plans.length;
    this.runId = settings.runId;
    this.sync = settings.sync;
    this.state = new RunState<Error>(plan.shape, settings.failFast, this);
    this.times = plan.shape.initialTimes.slice();
    this.contexts = settings.sync ? NO_CONTEXTS : new Array(n);
    // A planned runnable is a task or a flow (checked when it was planned).
    this.flowName = plan.runnable.kind === 'flow' ? plan.runnable.name : undefined;
    this.limit = settings.sync ? Infinity : settings.concurrency;
    this.runStartedAt = this.clock = startedAt;
    this.tracer = parent !== undefined ? parent.tracer : engine.events.tracer;
    if (!settings.sync) {
      this.promise = new Promise<RunResult>(captureResolve);
      this.resolvePromise = captured;
      // Not kept here: it would hold the last run's promise (and its result) alive.
      captured = undefined;
    }
  }

  /** The clock, read again only if other code ran since the last reading. */
  private at(): number {
    const t = this.clock;
    return t >= 0 ? t : (this.clock = now());
  }

  /** The clock, read now (after step code ran, or on entry from a timer or a promise). */
  private fresh(): number {
    return (this.clock = now());
  }

  begin(): void {
    const runnable = this.plan.runnable;
    if (this.engine.events.active || this.tracer !== undefined) {
      this.traceScope = report.runStarted(this, this.runStartedAt, this.parent?.flowName, this.parentTraceScope);
      this.clock = -1;
    }
    const signal = this.settings.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        // Seeded first: the run's `always` steps still run.
        this.state.seed();
        this.abortRun(new CancelledError(this.what, signal.reason), 'cancelled', signal.reason);
        return;
      }
      if (!this.sync) this.listen(signal);
    }
    // A flow's own timeoutMs bounds the whole run when it is run directly (as a step, the parent enforces it).
    if (this.parent === undefined && this.flowName !== undefined && !this.sync) {
      const ms = (runnable as Flow).timeoutMs;
      if (ms !== undefined) this.setDeadline(ms);
    }
    const reuse = this.settings.reuse;
    if (reuse !== undefined) this.state.reuse(reuse.steps, reuse.outputs);
    this.state.seed();
    this.pump();
  }

  /** Aborting `signal` cancels the run. (Its own method: see runTraced.) */
  private listen(signal: AbortSignal): void {
    this.onAbort = () => this.abortRun(new CancelledError(this.what, signal.reason), 'cancelled', signal.reason);
    signal.addEventListener('abort', this.onAbort, ONCE);
  }

  /** The flow's own timeoutMs, from the start of the run. */
  private setDeadline(ms: number): void {
    this.deadline = setTimeout(() => {
      const error = new TimeoutError(this.what, ms);
      this.abortRun(error, 'failed', error);
    }, ms);
  }

  /** Starts ready steps while the concurrency limit allows; re-entrant calls return at once. */
  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    const state = this.state;
    try {
      for (;;) {
        if (this.sync && this.settings.signal?.aborted && !state.stopped) {
          const reason = this.settings.signal.reason;
          this.abortRun(new CancelledError(this.what, reason), 'cancelled', reason);
        }
        const i = state.next(this.limit);
        if (i < 0) break;
        this.startStep(i);
      }
    } finally {
      this.pumping = false;
    }
    if (state.complete && this.nestedRunning === 0) this.finish();
  }

  private startStep(i: number): void {
    const plan = this.plan.plans[i] as StepPlan;
    const attempt = this.state.start(i);
    const t0 = this.at();
    if (attempt === 1) this.times[i] = t0;
    const ctx = new StepContext(this, i, attempt, plan);
    if (!this.sync) this.contexts[i] = ctx;
    // From here on, code other than the engine's runs: the next reading must be fresh.
    this.clock = -1;
    if (this.engine.events.active || this.tracer !== undefined) report.stepStarted(this, ctx, plan, attempt, t0);
    if (plan.map !== undefined) {
      this.startMapStep(i, ctx, plan);
      return;
    }
    const input = plan.useFlowInput ? this.input : plan.input;
    let value: unknown;
    try {
      if (ctx.traceScope === undefined) {
        value =
          plan.nested !== undefined ? this.runNested(plan.nested, input, ctx) : (plan.run as NonNullable<StepPlan['run']>)(ctx, input);
      } else {
        value = this.runTraced(plan, input, ctx);
      }
    } catch (error) {
      if (CascadenceError.isInstance(error, ErrorCode.ASYNC_IN_RUN_SYNC)) throw error;
      this.stepFailed(i, ctx, error);
      return;
    }
    if (isThenable(value)) {
      if (this.sync) {
        // Keep the abandoned promise from becoming an unhandled rejection.
        Promise.resolve(value).catch(() => {});
        throw new CascadenceError(
          ErrorCode.ASYNC_IN_RUN_SYNC,
          `${this.stepWhere(plan.id)} returned a Promise, but runSync only runs synchronous steps; use engine.run() for async steps`,
          { details: { flow: this.flowName, step: plan.id } },
        );
      }
      this.awaitStep(i, ctx, plan, value);
      return;
    }
    // A synchronous step cannot be interrupted; its timeout is judged after the fact.
    if (plan.timeoutMs !== undefined && this.fresh() - t0 > plan.timeoutMs) {
      this.stepFailed(i, ctx, new TimeoutError(this.stepWhere(plan.id), plan.timeoutMs));
      return;
    }
    this.stepSucceeded(i, ctx, value);
  }

  /**
   * The attempt's code run inside its trace scope: what it calls sees the step as current context.
   * (Closures live in their own methods: one in `startStep` would make every step allocate the
   * variables it captures, traced or not, sync or not.)
   */
  private runTraced(plan: StepPlan, input: unknown, ctx: StepContext): unknown {
    return (this.tracer as RunTracer).within(ctx.traceScope, () =>
      plan.nested !== undefined ? this.runNested(plan.nested, input, ctx) : (plan.run as NonNullable<StepPlan['run']>)(ctx, input),
    );
  }

  /** A step's attempt returned a promise: its timeout, and how it ends when the promise settles. */
  private awaitStep(i: number, ctx: StepContext, plan: StepPlan, value: PromiseLike<unknown>): void {
    if (plan.timeoutMs !== undefined) {
      const ms = plan.timeoutMs;
      ctx.timer = setTimeout(() => {
        const error = new TimeoutError(this.stepWhere(plan.id), ms);
        ctx.abort(error);
        this.stepFailed(i, ctx, error);
      }, ms);
    }
    // Leaf steps only: a nested flow's own steps are counted where they run.
    const counted = plan.nested === undefined;
    if (counted) this.engine.stepPromiseStarted();
    value.then(
      (output) => {
        if (counted) this.engine.stepPromiseSettled();
        this.stepSucceeded(i, ctx, output);
      },
      (error: unknown) => {
        if (counted) this.engine.stepPromiseSettled();
        this.stepFailed(i, ctx, error);
      },
    );
  }

  /**
   * A `map` step: its items run through a MapRun (map-run.ts), which applies the step's retry and
   * timeout per item; the step itself is tried once and has no deadline of its own.
   */
  private startMapStep(i: number, ctx: StepContext, plan: StepPlan): void {
    let value: unknown;
    try {
      const run = () => {
        const map = new MapRun(this, ctx, plan, mapItems(plan.map as MapPlan, ctx, this.stepWhere(plan.id)), plan.map as MapPlan);
        (this.maps ??= [])[i] = map;
        return map.start();
      };
      value = ctx.traceScope === undefined ? run() : (this.tracer as RunTracer).within(ctx.traceScope, run);
    } catch (error) {
      if (CascadenceError.isInstance(error, ErrorCode.ASYNC_IN_RUN_SYNC)) throw error;
      this.stepFailed(i, ctx, error);
      return;
    }
    if (!isThenable(value)) {
      this.stepSucceeded(i, ctx, value);
      return;
    }
    value.then(
      (output) => this.stepSucceeded(i, ctx, output),
      (error: unknown) => this.stepFailed(i, ctx, error),
    );
  }

  /** Runs a nested flow for a step (or one item of a map step), under that attempt's signal and trace scope. */
  runNested(flow: Flow, input: unknown, ctx: { readonly signal: AbortSignal; readonly traceScope: unknown }): unknown {
    const child = this.engine.startNested(
      flow,
      input,
      {
        runId: this.runId,
        concurrency: this.settings.concurrency,
        failFast: this.settings.failFast,
        signal: this.sync ? undefined : ctx.signal,
        sync: this.sync,
        trigger: this.settings.trigger,
      },
      this,
      ctx.traceScope,
    );
    if (this.sync) return nestedOutput(flow, child.result as RunResult);
    this.nestedRunning++;
    return (child.promise as Promise<RunResult>).then((result) => {
      // Entered from a promise: the last clock reading (maybe the step's timeout) is stale.
      this.clock = -1;
      if (--this.nestedRunning === 0 && this.state.complete) this.finish();
      return nestedOutput(flow, result);
    });
  }

  private stepSucceeded(i: number, ctx: StepContext, output: unknown): void {
    if (ctx.done) return;
    ctx.finish();
    if (!this.sync) this.contexts[i] = undefined;
    const t = this.fresh();
    this.times[this.state.n + i] = t;
    if (this.engine.events.active || this.tracer !== undefined) {
      report.stepSucceeded(this, ctx, this.plan.plans[i] as StepPlan, t, t - (this.times[i] as number), output);
      this.clock = -1;
    }
    this.state.succeed(i, output);
    this.pump();
  }

  private stepFailed(i: number, ctx: StepContext, thrown: unknown): void {
    if (ctx.done) return;
    ctx.finish();
    if (!this.sync) this.contexts[i] = undefined;
    const plan = this.plan.plans[i] as StepPlan;
    const n = this.state.n;
    const reporting = this.engine.events.active || this.tracer !== undefined;
    const skipMessage = skipSignalReason(thrown);
    if (skipMessage !== undefined) {
      // ctx.skip(): the step ends skipped, not failed, and is not retried. Its attempt had started,
      // so the skip event ends that attempt (for tracers and in-progress gauges).
      const t = this.fresh();
      this.times[n + i] = t;
      if (reporting) {
        report.stepSkippedItself(this, ctx, plan, t, skipMessage);
        this.clock = -1;
      }
      this.state.skipSelf(i, skipMessage);
      this.pump();
      return;
    }
    const error = toError(thrown);
    const t = this.fresh();
    const state = this.state;
    // A map step's retry policy applies to each item (map-run.ts), not to the step.
    const delayMs = plan.map === undefined ? decideRetry(plan.retry, ctx.attempt, error, state.mayRetry) : -1;
    if (delayMs >= 0) {
      if (reporting) {
        report.stepRetrying(this, ctx, plan, t, t - (this.times[i] as number), error, delayMs);
        this.clock = -1;
      }
      state.awaitRetry(i);
      if (this.sync) {
        sleepSync(delayMs);
        this.clock = -1;
        state.requeue(i);
      } else {
        (this.retryTimers ??= new Map()).set(
          i,
          setTimeout(() => {
            this.retryTimers?.delete(i);
            this.clock = -1;
            state.requeue(i);
            this.pump();
          }, delayMs),
        );
      }
      this.pump();
      return;
    }
    this.times[n + i] = t;
    const startsFailFast = state.fail(i, error);
    if (reporting) {
      report.stepFailed(this, ctx, plan, ctx.attempt, t, t - (this.times[i] as number), error, 'failed');
      this.clock = -1;
    }
    if (startsFailFast) {
      const reason = new Error(failFastMessage(this.stepWhere(plan.id)));
      state.cancelInFlight(false, (j, while_) => this.cancelStep(j, while_, reason));
    }
    state.release(i);
    this.pump();
  }

  /** One step caught by a cancellation: stop what it runs, and give its error. */
  private cancelStep(i: number, while_: CancelledWhile, reason: unknown): Error {
    const plan = this.plan.plans[i] as StepPlan;
    const error = new CancelledError(this.stepWhere(plan.id), reason);
    const t = this.at();
    const ctx = while_ === 'running' ? this.contexts[i] : undefined;
    if (while_ === 'running') {
      if (ctx !== undefined) {
        ctx.finish();
        // Its abort listeners are the step's code.
        this.clock = -1;
        ctx.abort(error);
      }
    } else if (while_ === 'retry-wait' && this.retryTimers?.has(i)) {
      clearTimeout(this.retryTimers.get(i));
      this.retryTimers.delete(i);
    }
    this.times[this.state.n + i] = t;
    if (while_ !== 'pending' && (this.engine.events.active || this.tracer !== undefined)) {
      report.stepFailed(this, ctx, plan, this.state.attempts[i] as number, t, t - (this.times[i] as number), error, 'cancelled');
      this.clock = -1;
    }
    return error;
  }

  /** Engine.cancel: as if the run's signal were aborted with `reason`. */
  cancel(reason: unknown): void {
    this.abortRun(new CancelledError(this.what, reason), 'cancelled', reason);
  }

  /** Stops the whole run now: nothing new starts, running steps are aborted, the result is final. */
  private abortRun(runError: Error, status: RunStatus, stepReason: unknown): void {
    if (this.finished) return;
    // Called from a signal, a timer or Engine.cancel: any earlier reading is stale.
    this.clock = -1;
    // Pumped, not finished: the run ends when its `always` steps (if any) have ended.
    if (this.state.abort(status, runError, (i, while_) => this.cancelStep(i, while_, stepReason))) this.pump();
  }

  /** RunStateObserver: a step will not run. */
  stepSkipped(i: number, reason: SkipReason): void {
    // A step that skipped itself was reported when its attempt ended (stepFailed).
    if (reason === 'self' || (!this.engine.events.active && this.tracer === undefined)) return;
    report.stepSkipped(this, this.plan.plans[i] as StepPlan, this.at(), reason);
    this.clock = -1;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.parent === undefined && !this.sync) this.engine.runFinished(this);
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    if (this.onAbort !== undefined) this.settings.signal?.removeEventListener('abort', this.onAbort);
    if (this.retryTimers !== undefined) {
      for (const timer of this.retryTimers.values()) clearTimeout(timer);
      this.retryTimers.clear();
    }
    if (!this.sync) this.contexts.length = 0;

    const t = this.at();
    let { status, error } = this.state.outcome();
    let output: unknown;
    if (status === 'succeeded') {
      try {
        output = defaultOutput(this.plan, this.state, this.input);
      } catch (thrown) {
        status = 'failed';
        error = toError(thrown);
      }
    }
    const result = runResult(this, status, output, error, this.runStartedAt, t);
    this.result = result;
    if (this.engine.events.active || this.tracer !== undefined) report.runEnded(this, t, this.parent?.flowName, status, error, result);
    this.resolvePromise?.(result);
  }

  /** `flow "x"` or `task "x"`, for messages. */
  private get what(): string {
    return runWhat(this.flowName === undefined ? 'task' : 'flow', this.plan.runnable.name);
  }

  stepWhere(stepId: string): string {
    return stepWhere(this.flowName, stepId);
  }
}
