/**
 * One local run of one flow (or lone task): drives the dag RunState with real functions, timers,
 * AbortSignals and events. Everything a flow *means* (what runs next, what is skipped, the final
 * status and error) is decided by RunState; this file only does what is local: calling step
 * functions, timeouts, retry timers, cancellation of running steps, events and the RunResult.
 */
import { failFastMessage, nestedFlowFailedMessage, runWhat, stepWhere } from './dag/messages';
import type { ReusedSteps } from './dag/reuse';
import { RunState, type CancelledWhile } from './dag/run-state';
import { STEP_STATUS_NAMES, type SkipReason } from './dag/status';
import type { Engine } from './engine';
import { CancelledError, CascadenceError, ErrorCode, TimeoutError, toError } from './errors';
import type {
  EngineEvent,
  RunStartEvent,
  StepFailureEvent,
  StepRetryEvent,
  StepSkipEvent,
  StepStartEvent,
  StepSuccessEvent,
} from './events';
import { isFlow, type Flow } from './flow';
import type { RunResult, RunStatus, StepResult, StepStatus } from './result';
import { decideRetry } from './retry';
import { SerialisableRunResult } from './run-result';
import type { RunTracer } from './run-tracer';
import { MapRun } from './map-run';
import { mapItems, type MapPlan } from './map-spec';
import { sleepSync } from './sleep-sync';
import { StepContext } from './step-context';
import { skipSignalReason } from './step-skip';
import type { RunnablePlan, StepPlan } from './step-plan';
import { isThenable } from './thenable';
import type { RunTrigger } from './trigger';

/** Up to this many steps, RunResult.steps is built at once (cheaper than a lazy property). */
const EAGER_STEP_RESULTS = 64;

const timeOrigin = performance.timeOrigin;
const now = (): number => performance.now();

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

export class Execution {
  readonly promise: Promise<RunResult> | undefined;
  result: RunResult | undefined;
  readonly state: RunState<Error>;
  readonly flowName: string | undefined;
  readonly runId: string;

  private resolvePromise: ((result: RunResult) => void) | undefined;
  private readonly startedAt: number[];
  private readonly endedAt: number[];
  /**
   * Contexts of running steps, for cancellation. Dropped when the step ends: kept to the end of
   * the run, every ctx (and its ctx.results) outlived the young generation and a 100k-step chain
   * that read ctx.results spent most of its extra time in the GC.
   */
  private readonly contexts: Array<StepContext | undefined>;
  /** The item runs of `map` steps, by step index (created for the first map step). */
  private maps: Array<MapRun | undefined> | undefined;
  /** Created on the first retry: most runs never wait for one. */
  private retryTimersMap: Map<number, ReturnType<typeof setTimeout>> | undefined;
  private pumping = false;
  private finished = false;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private onAbort: (() => void) | undefined;
  private readonly runStartedAt: number;
  private readonly limit: number;
  /** The bus's tracer when this run began (a nested run: its parent's), and the run's scope from it. */
  readonly tracer: RunTracer | undefined;
  private traceScope: unknown;

  constructor(
    readonly engine: Engine,
    readonly plan: RunnablePlan,
    readonly input: unknown,
    readonly settings: ExecutionSettings,
    private readonly parent: Execution | undefined,
    /** For a nested run: the tracer scope of the parent's step attempt that runs it. */
    private readonly parentTraceScope?: unknown,
  ) {
    const n = plan.plans.length;
    this.runId = settings.runId;
    this.state = new RunState<Error>(plan.shape, settings.failFast, this);
    this.startedAt = new Array<number>(n).fill(0);
    this.endedAt = new Array<number>(n).fill(0);
    this.contexts = new Array(n);
    this.flowName = isFlow(plan.runnable) ? plan.runnable.name : undefined;
    this.limit = settings.sync ? Infinity : settings.concurrency;
    this.runStartedAt = now();
    this.tracer = parent !== undefined ? parent.tracer : engine.events.tracer;
    if (!settings.sync) {
      this.promise = new Promise<RunResult>((resolve) => {
        this.resolvePromise = resolve;
      });
    }
  }

  get sync(): boolean {
    return this.settings.sync;
  }

  begin(): void {
    const runnable = this.plan.runnable;
    if (this.engine.events.active || this.tracer !== undefined) {
      const event: RunStartEvent = {
        type: 'run:start',
        runId: this.runId,
        at: timeOrigin + this.runStartedAt,
        task: runnable.name,
        kind: runnable.kind,
        parentFlow: this.parent?.flowName,
        trigger: this.settings.trigger,
        input: this.input,
      };
      this.emit(event);
      const tracer = this.tracer;
      if (tracer !== undefined) {
        try {
          this.traceScope = tracer.startRun(event, this.parentTraceScope);
        } catch (error) {
          this.engine.events.tracerFailed(error, event);
        }
      }
    }
    const signal = this.settings.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        // Seeded first: the run's `always` steps still run.
        this.state.seed();
        this.abortRun(new CancelledError(this.what, signal.reason), 'cancelled', signal.reason);
        return;
      }
      if (!this.sync) {
        this.onAbort = () => this.abortRun(new CancelledError(this.what, signal.reason), 'cancelled', signal.reason);
        signal.addEventListener('abort', this.onAbort, { once: true });
      }
    }
    // A flow's own timeoutMs bounds the whole run when it is run directly (as a step, the parent enforces it).
    if (this.parent === undefined && isFlow(runnable) && runnable.timeoutMs !== undefined && !this.sync) {
      const ms = runnable.timeoutMs;
      this.deadline = setTimeout(() => {
        const error = new TimeoutError(this.what, ms);
        this.abortRun(error, 'failed', error);
      }, ms);
    }
    const reuse = this.settings.reuse;
    if (reuse !== undefined) this.state.reuse(reuse.steps, reuse.outputs);
    this.state.seed();
    this.pump();
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
    if (state.complete) this.finish();
  }

  private startStep(i: number): void {
    const plan = this.plan.plans[i] as StepPlan;
    const attempt = this.state.start(i);
    const t0 = now();
    if (attempt === 1) this.startedAt[i] = t0;
    const ctx = new StepContext(this, i, attempt, plan);
    this.contexts[i] = ctx;
    const events = this.engine.events;
    const tracer = this.tracer;
    if (events.active || tracer !== undefined) {
      if (events.wantsStepStart || tracer !== undefined) {
        const event: StepStartEvent = {
          type: 'step:start',
          runId: this.runId,
          at: timeOrigin + t0,
          flow: this.flowName,
          step: plan.id,
          task: plan.label,
          attempt,
        };
        if (events.wantsStepStart) this.emit(event);
        if (tracer !== undefined) this.traceStepStart(tracer, ctx, event);
      }
      if (events.observers.length > 0) events.notifyStepStart(this.runId, this.flowName, plan.id, plan.label, attempt);
    }
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
        // The attempt's code runs inside its trace scope: what it calls sees the step as current context.
        value = (tracer as RunTracer).within(ctx.traceScope, () =>
          plan.nested !== undefined ? this.runNested(plan.nested, input, ctx) : (plan.run as NonNullable<StepPlan['run']>)(ctx, input),
        );
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
      return;
    }
    // A synchronous step cannot be interrupted; its timeout is judged after the fact.
    if (plan.timeoutMs !== undefined && now() - t0 > plan.timeoutMs) {
      this.stepFailed(i, ctx, new TimeoutError(this.stepWhere(plan.id), plan.timeoutMs));
      return;
    }
    this.stepSucceeded(i, ctx, value);
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
    const unwrap = (result: RunResult): unknown => {
      if (result.status === 'succeeded') return result.output;
      const failedSteps = Object.entries(result.steps)
        .filter(([, step]) => step.status === 'failed')
        .map(([id]) => id);
      throw new CascadenceError(
        ErrorCode.FLOW_FAILED,
        nestedFlowFailedMessage(flow.name, result.status, failedSteps, result.error?.message),
        {
          cause: result.error,
          details: { flow: flow.name, steps: result.steps },
        },
      );
    };
    if (this.sync) return unwrap(child.result as RunResult);
    return (child.promise as Promise<RunResult>).then(unwrap);
  }

  private stepSucceeded(i: number, ctx: StepContext, output: unknown): void {
    if (ctx.done) return;
    ctx.finish();
    this.contexts[i] = undefined;
    const plan = this.plan.plans[i] as StepPlan;
    const t = now();
    this.endedAt[i] = t;
    const events = this.engine.events;
    if (events.active || this.tracer !== undefined) {
      const durationMs = t - (this.startedAt[i] as number);
      if (events.wantsStepSuccess || ctx.traceScope !== undefined) {
        const event: StepSuccessEvent = {
          type: 'step:success',
          runId: this.runId,
          at: timeOrigin + t,
          flow: this.flowName,
          step: plan.id,
          task: plan.label,
          attempt: ctx.attempt,
          durationMs,
          output,
        };
        if (events.wantsStepSuccess) this.emit(event);
        if (ctx.traceScope !== undefined) this.traceStepEnd(ctx, event);
      }
      if (events.observers.length > 0)
        events.notifyStepSuccess(this.runId, this.flowName, plan.id, plan.label, ctx.attempt, durationMs, output);
    }
    this.state.succeed(i, output);
    this.pump();
  }

  private stepFailed(i: number, ctx: StepContext, thrown: unknown): void {
    if (ctx.done) return;
    ctx.finish();
    this.contexts[i] = undefined;
    const plan = this.plan.plans[i] as StepPlan;
    const skipMessage = skipSignalReason(thrown);
    if (skipMessage !== undefined) {
      // ctx.skip(): the step ends skipped, not failed, and is not retried. Its attempt had started,
      // so the skip event ends that attempt (for tracers and in-progress gauges).
      const t = now();
      this.endedAt[i] = t;
      if (this.engine.events.active || this.tracer !== undefined) {
        const event: StepSkipEvent = {
          type: 'step:skip',
          runId: this.runId,
          at: timeOrigin + t,
          flow: this.flowName,
          step: plan.id,
          task: plan.label,
          reason: 'self',
          message: skipMessage,
          attempt: ctx.attempt,
        };
        this.emit(event);
        if (ctx.traceScope !== undefined) this.traceStepEnd(ctx, event);
      }
      this.state.skipSelf(i, skipMessage);
      this.pump();
      return;
    }
    const error = toError(thrown);
    const t = now();
    const events = this.engine.events;
    const state = this.state;
    // A map step's retry policy applies to each item (map-run.ts), not to the step.
    const delayMs = plan.map === undefined ? decideRetry(plan.retry, ctx.attempt, error, state.mayRetry) : -1;
    if (delayMs >= 0) {
      if (events.active || this.tracer !== undefined) {
        const event: StepRetryEvent = {
          type: 'step:retry',
          runId: this.runId,
          at: timeOrigin + t,
          flow: this.flowName,
          step: plan.id,
          task: plan.label,
          attempt: ctx.attempt,
          durationMs: t - (this.startedAt[i] as number),
          error,
          delayMs,
        };
        this.emit(event);
        if (ctx.traceScope !== undefined) this.traceStepEnd(ctx, event);
      }
      state.awaitRetry(i);
      if (this.sync) {
        sleepSync(delayMs);
        state.requeue(i);
      } else {
        this.retryTimers.set(
          i,
          setTimeout(() => {
            this.retryTimers.delete(i);
            state.requeue(i);
            this.pump();
          }, delayMs),
        );
      }
      this.pump();
      return;
    }
    this.endedAt[i] = t;
    const startsFailFast = state.fail(i, error);
    if (events.active || this.tracer !== undefined) {
      const event: StepFailureEvent = {
        type: 'step:failure',
        runId: this.runId,
        at: timeOrigin + t,
        flow: this.flowName,
        step: plan.id,
        task: plan.label,
        attempt: ctx.attempt,
        durationMs: t - (this.startedAt[i] as number),
        error,
        status: 'failed',
      };
      this.emit(event);
      if (ctx.traceScope !== undefined) this.traceStepEnd(ctx, event);
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
    const t = now();
    const ctx = while_ === 'running' ? this.contexts[i] : undefined;
    if (while_ === 'running') {
      if (ctx !== undefined) {
        ctx.finish();
        ctx.abort(error);
      }
    } else if (while_ === 'retry-wait' && this.retryTimersMap?.has(i)) {
      clearTimeout(this.retryTimersMap.get(i));
      this.retryTimersMap.delete(i);
    }
    this.endedAt[i] = t;
    if (while_ !== 'pending' && (this.engine.events.active || this.tracer !== undefined)) {
      const event: StepFailureEvent = {
        type: 'step:failure',
        runId: this.runId,
        at: timeOrigin + t,
        flow: this.flowName,
        step: plan.id,
        task: plan.label,
        attempt: this.state.attempts[i] as number,
        durationMs: t - (this.startedAt[i] as number),
        error,
        status: 'cancelled',
      };
      this.emit(event);
      if (ctx?.traceScope !== undefined) this.traceStepEnd(ctx, event);
      else if (this.traceScope !== undefined) this.traceStepEvent(event);
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
    // Pumped, not finished: the run ends when its `always` steps (if any) have ended.
    if (this.state.abort(status, runError, (i, while_) => this.cancelStep(i, while_, stepReason))) this.pump();
  }

  /** RunStateObserver: a step will not run. */
  stepSkipped(i: number, reason: SkipReason): void {
    // A step that skipped itself was reported when its attempt ended (stepFailed).
    if (reason === 'self' || (!this.engine.events.active && this.tracer === undefined)) return;
    const plan = this.plan.plans[i] as StepPlan;
    const event: EngineEvent = {
      type: 'step:skip',
      runId: this.runId,
      at: timeOrigin + now(),
      flow: this.flowName,
      step: plan.id,
      task: plan.label,
      reason,
    };
    this.emit(event);
    if (this.traceScope !== undefined) this.traceStepEvent(event);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.parent === undefined) this.engine.runFinished(this);
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    if (this.onAbort !== undefined) this.settings.signal?.removeEventListener('abort', this.onAbort);
    if (this.retryTimersMap !== undefined) {
      for (const timer of this.retryTimersMap.values()) clearTimeout(timer);
      this.retryTimersMap.clear();
    }
    this.contexts.length = 0;

    const t = now();
    const runnable = this.plan.runnable;
    let { status, error } = this.state.outcome();
    let output: unknown;
    if (status === 'succeeded') {
      try {
        output = this.computeOutput();
      } catch (thrown) {
        status = 'failed';
        error = toError(thrown);
      }
    }
    const result: RunResult = new SerialisableRunResult(
      this.runId,
      runnable.name,
      status,
      output,
      error,
      undefined as unknown as Record<string, StepResult>,
      timeOrigin + this.runStartedAt,
      t - this.runStartedAt,
    );
    // Large flows build the per-step record on first read: most callers only look at status and output.
    if (this.state.n <= EAGER_STEP_RESULTS) result.steps = this.stepResults();
    else
      Object.defineProperty(result, 'steps', {
        enumerable: true,
        configurable: true,
        get: () => {
          const steps = this.stepResults();
          Object.defineProperty(result, 'steps', { value: steps, enumerable: true, writable: true, configurable: true });
          return steps;
        },
      });
    this.result = result;
    if (this.engine.events.active || this.tracer !== undefined) {
      const event: EngineEvent = {
        type: 'run:end',
        runId: this.runId,
        at: timeOrigin + t,
        task: runnable.name,
        kind: runnable.kind,
        parentFlow: this.parent?.flowName,
        status,
        durationMs: result.durationMs,
        error,
        result,
      };
      this.emit(event);
      if (this.traceScope !== undefined) {
        try {
          (this.tracer as RunTracer).endRun(this.traceScope, event);
        } catch (thrown) {
          this.engine.events.tracerFailed(thrown, event);
        }
      }
    }
    this.resolvePromise?.(result);
  }

  private stepResults(): Record<string, StepResult> {
    const steps: Record<string, StepResult> = {};
    const ids = this.plan.graph.ids;
    const { status, attempts, outputs, errors } = this.state;
    for (let i = 0; i < this.state.n; i++) {
      const tries = attempts[i] as number;
      const ended = this.endedAt[i] as number;
      const code = status[i] as number;
      steps[ids[i] as string] = {
        status: STEP_STATUS_NAMES[code] as StepStatus,
        output: outputs[i],
        error: errors[i],
        attempts: tries,
        startedAt: tries > 0 ? timeOrigin + (this.startedAt[i] as number) : undefined,
        durationMs: tries > 0 && ended > 0 ? ended - (this.startedAt[i] as number) : undefined,
      };
      const skipReason = this.state.skipReasons[i];
      if (skipReason !== undefined) (steps[ids[i] as string] as StepResult).skipReason = skipReason;
      const skipMessage = this.state.skipMessages[i];
      if (skipMessage !== undefined) (steps[ids[i] as string] as StepResult).skipMessage = skipMessage;
      const map = this.maps?.[i];
      if (map !== undefined) lazyItems(steps[ids[i] as string] as StepResult, map);
    }
    return steps;
  }

  /** A lone task's output; for a flow, `output(results)` or else the outputs of its final steps. */
  private computeOutput(): unknown {
    const runnable = this.plan.runnable;
    if (!isFlow(runnable)) return this.state.outputs[0];
    const custom = runnable.output;
    const results = this.state.succeededOutputs(this.plan.graph.ids, custom !== undefined);
    return custom === undefined ? results : custom(results, this.input);
  }

  /** `flow "x"` or `task "x"`, for messages. */
  private get what(): string {
    return runWhat(this.flowName === undefined ? 'task' : 'flow', this.plan.runnable.name);
  }

  private get retryTimers(): Map<number, ReturnType<typeof setTimeout>> {
    return (this.retryTimersMap ??= new Map());
  }

  stepWhere(stepId: string): string {
    return stepWhere(this.flowName, stepId);
  }

  private emit(event: EngineEvent): void {
    this.engine.events.emit(event);
  }

  // The tracer calls: only reached when a tracer was attached when the run began.
  private traceStepStart(tracer: RunTracer, ctx: StepContext, event: StepStartEvent): void {
    try {
      ctx.traceScope = tracer.startStep(this.traceScope, event);
    } catch (error) {
      this.engine.events.tracerFailed(error, event);
    }
  }

  private traceStepEnd(ctx: StepContext, event: StepSuccessEvent | StepFailureEvent | StepRetryEvent | StepSkipEvent): void {
    try {
      (this.tracer as RunTracer).endStep(ctx.traceScope, event);
    } catch (error) {
      this.engine.events.tracerFailed(error, event);
    }
  }

  private traceStepEvent(event: Extract<EngineEvent, { type: 'step:skip' | 'step:failure' }>): void {
    try {
      (this.tracer as RunTracer).stepEvent(this.traceScope, event);
    } catch (error) {
      this.engine.events.tracerFailed(error, event);
    }
  }
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
