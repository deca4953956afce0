import { randomUUID } from 'node:crypto';
import { CancelledError, CascadenceError, ErrorCode, TimeoutError, toError } from './errors';
import { EventBus, type EngineEvent, type EventSource } from './events';
import { isFlow, type Flow, type FlowGraph, type FlowStep, type TriggerRule } from './flow';
import { consoleLogger, scopedLogger, type Logger } from './logger';
import { validateOptions, type Processor } from './processor';
import type { RunResult, RunStatus, StepResult, StepStatus } from './result';
import { isRetryable, NO_RETRY, resolveRetryPolicy, retryDelay, type ResolvedRetryPolicy } from './retry';
import { isTask, type Task, type TaskContext } from './task';

export type Runnable = Task<any, any, any> | Flow<any, any>;

/** How the engine turns names in flow steps (`task: 'name'`, `uses: 'shell'`) into code. */
export interface StepResolver {
  resolveTask(name: string): Runnable;
  resolveProcessor(name: string): Processor<any, any>;
  /** Disabled tasks refuse to run; absent means everything is enabled. */
  isEnabled?(name: string): boolean;
  /** Bumped whenever what resolves changes, so prepared flows are re-resolved. */
  readonly version?: number;
}

export interface EngineOptions {
  /** Steps of one flow running at once (each nested flow has its own limit). Default 16. */
  concurrency?: number;
  /** Abort running steps and start no new ones once a step has failed. Default false. */
  failFast?: boolean;
  /** Base logger behind `ctx.log`; default: the console. */
  logger?: Logger;
  /** Resolves task and processor names used in flows; also enforces disabled tasks. */
  resolver?: StepResolver;
  /** Share one bus between several engines; default: a new one (`engine.events`). */
  events?: EventBus;
}

export interface RunOptions {
  /** Aborting it cancels the run: running steps are aborted, no new ones start. */
  signal?: AbortSignal;
  concurrency?: number;
  failFast?: boolean;
  /** Use this run id instead of a new random UUID. */
  runId?: string;
}

const DEFAULT_CONCURRENCY = 16;
/** Up to this many steps, RunResult.steps is built at once (cheaper than a lazy property). */
const EAGER_STEP_RESULTS = 64;

// Step states as small integers: the hot loop compares these instead of strings.
const PENDING = 0;
const RUNNING = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const SKIPPED = 4;
const CANCELLED = 5;
const STATUS_NAMES: readonly StepStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

const RULE_ALL_SUCCEEDED = 0;
const RULE_ALL_DONE = 1;
const RULE_ANY_FAILED = 2;
const RULE_CODES: Record<TriggerRule, number> = { 'all-succeeded': 0, 'all-done': 1, 'any-failed': 2 };

/** A step with names resolved, policies merged and options validated: what the hot loop needs. */
interface StepPlan {
  id: string;
  /** The `task` label of events: task name, processor name, or step id for inline steps. */
  label: string;
  run: ((ctx: TaskContext, input: unknown) => unknown) | undefined;
  nested: Flow | undefined;
  /** Fixed input (`with`, or validated processor options); `useFlowInput` when absent. */
  input: unknown;
  useFlowInput: boolean;
  retry: ResolvedRetryPolicy;
  timeoutMs: number | undefined;
  rule: number;
}

interface PreparedFlow {
  graph: FlowGraph;
  plans: StepPlan[];
  resolverVersion: number | undefined;
}

const timeOrigin = performance.timeOrigin;
const now = (): number => performance.now();

/**
 * Runs tasks and flows in process. `run` accepts sync and async steps mixed and only hops the
 * event loop when a step really returns a Promise; `runSync` runs synchronous flows with no
 * Promise at all.
 */
export class Engine implements EventSource {
  readonly events: EventBus;
  readonly concurrency: number;
  readonly failFast: boolean;
  private readonly logger: Logger;
  private readonly resolver: StepResolver | undefined;
  private readonly prepared = new WeakMap<Runnable, PreparedFlow>();

  constructor(options: EngineOptions = {}) {
    this.concurrency = checkConcurrency(options.concurrency ?? DEFAULT_CONCURRENCY);
    this.failFast = options.failFast ?? false;
    this.logger = options.logger ?? consoleLogger();
    this.resolver = options.resolver;
    this.events = options.events ?? new EventBus();
  }

  /** Runs a task or flow; resolves to its RunResult (a failed run resolves too, with status `failed`). */
  run<Output>(runnable: Task<any, Output, any> | Flow<any, Output>, input?: unknown, options: RunOptions = {}): Promise<RunResult<Output>> {
    let execution: Execution;
    try {
      execution = this.start(runnable, input, options, false, undefined);
    } catch (error) {
      return Promise.reject(error);
    }
    return execution.promise as Promise<RunResult<Output>>;
  }

  /**
   * Runs a task or flow whose steps are all synchronous, returning the RunResult directly.
   * Throws CASCADENCE_ASYNC_IN_RUN_SYNC if a step returns a Promise. Retry delays block the thread.
   */
  runSync<Output>(runnable: Task<any, Output, any> | Flow<any, Output>, input?: unknown, options: Omit<RunOptions, 'concurrency'> = {}): RunResult<Output> {
    return this.start(runnable, input, options, true, undefined).result as RunResult<Output>;
  }

  /** Resolves names and validates processor options of a flow without running it. */
  prepare(runnable: Runnable): void {
    this.plan(runnable);
  }

  /** @internal nested flows re-enter here with their parent's run id and signal. */
  start(runnable: Runnable, input: unknown, options: RunOptions, sync: boolean, parent: Execution | undefined): Execution {
    if (!isTask(runnable) && !isFlow(runnable)) {
      throw new CascadenceError(
        ErrorCode.INVALID_DEFINITION,
        'engine.run expects a task or flow made with defineTask or defineFlow',
      );
    }
    if (parent === undefined && this.resolver?.isEnabled !== undefined && !this.resolver.isEnabled(runnable.name)) {
      throw new CascadenceError(ErrorCode.TASK_DISABLED, `task "${runnable.name}" is disabled`, {
        suggestions: [`enable it with: task enable ${runnable.name}`],
        details: { task: runnable.name },
      });
    }
    const concurrency = checkConcurrency(options.concurrency ?? this.concurrency);
    const execution = new Execution(
      this,
      runnable,
      this.plan(runnable),
      input,
      options.runId ?? parent?.runId ?? randomUUID(),
      concurrency,
      options.failFast ?? this.failFast,
      options.signal,
      sync,
      parent,
    );
    execution.begin();
    return execution;
  }

  /** @internal */
  loggerFor(flow: string | undefined, step: string): Logger {
    return scopedLogger(this.logger, flow === undefined ? step : `${flow}/${step}`);
  }

  private plan(runnable: Runnable): PreparedFlow {
    const cached = this.prepared.get(runnable);
    const version = this.resolver?.version;
    if (cached !== undefined && cached.resolverVersion === version) return cached;
    const graph = runnable.kind === 'flow' ? runnable.graph : singleStepGraph(runnable);
    const plans = graph.steps.map((step, i) =>
      this.planStep(step, graph.ids[i] as string, isFlow(runnable) ? runnable.name : undefined),
    );
    const prepared: PreparedFlow = { graph, plans, resolverVersion: version };
    this.prepared.set(runnable, prepared);
    return prepared;
  }

  private planStep(step: FlowStep, id: string, flowName: string | undefined): StepPlan {
    const where = flowName === undefined ? `task "${id}"` : `flow "${flowName}", step "${id}"`;
    let label = id;
    let run: StepPlan['run'];
    let nested: Flow | undefined;
    let input = step.with;
    let useFlowInput = step.with === undefined;
    let retry = step.retry;
    let timeoutMs = step.timeoutMs;
    if (step.task !== undefined) {
      const target = typeof step.task === 'string' ? this.resolveTask(step.task, where) : step.task;
      label = target.name;
      retry ??= target.retry;
      timeoutMs ??= target.timeoutMs;
      if (target.kind === 'flow') nested = target;
      else run = target.run as StepPlan['run'];
    } else if (step.uses !== undefined) {
      const processor = this.resolveProcessor(step.uses, where);
      label = processor.name;
      input = validateOptions(processor.options, step.with, where);
      if (processor.validate !== undefined) runValidate(processor, input, where);
      useFlowInput = false;
      run = processor.run as StepPlan['run'];
    } else {
      run = step.run as StepPlan['run'];
    }
    return {
      id,
      label,
      run,
      nested,
      input,
      useFlowInput,
      retry: resolveRetryPolicy(retry, where),
      timeoutMs,
      rule: RULE_CODES[step.when ?? 'all-succeeded'],
    };
  }

  private resolveTask(name: string, where: string): Runnable {
    if (this.resolver === undefined) {
      throw new CascadenceError(
        ErrorCode.UNKNOWN_TASK,
        `${where}: task "${name}" is referenced by name, but this engine has no registry to look it up`,
        { suggestions: ['pass the task object itself, or create the engine with { resolver: registry }'] },
      );
    }
    try {
      return this.resolver.resolveTask(name);
    } catch (error) {
      throw prefixed(error, where);
    }
  }

  private resolveProcessor(name: string, where: string): Processor<any, any> {
    if (this.resolver === undefined) {
      throw new CascadenceError(
        ErrorCode.UNKNOWN_PROCESSOR,
        `${where}: processor "${name}" is unknown (this engine has no registry of processors)`,
      );
    }
    try {
      return this.resolver.resolveProcessor(name);
    } catch (error) {
      throw prefixed(error, where);
    }
  }
}

/** One run of one flow (or lone task): the state machine the engine drives. */
class Execution {
  readonly promise: Promise<RunResult> | undefined;
  result: RunResult | undefined;

  private resolvePromise: ((result: RunResult) => void) | undefined;
  private readonly n: number;
  // Plain arrays, not typed ones: a typed array's off-heap buffer makes short runs GC-heavy.
  private readonly status: number[];
  /** Steps skipped because something upstream failed (any-failed handlers still fire for them). */
  private readonly upstreamFailed: number[];
  private readonly remaining: number[];
  /** Per step: how many of its needs ended other than succeeded, and how many of those count as failed. */
  private readonly notSucceeded: number[];
  private readonly failedNeeds: number[];
  private readonly attempts: number[];
  private readonly startedAt: number[];
  private readonly endedAt: number[];
  readonly outputs: unknown[];
  private readonly errors: Array<Error | undefined>;
  private readonly contexts: Array<StepContext | undefined>;
  /** Created on the first retry: most runs never wait for one. */
  private retryTimersMap: Map<number, ReturnType<typeof setTimeout>> | undefined;
  private readonly ready: number[] = [];
  private readyHead = 0;
  private running = 0;
  private settled = 0;
  private pumping = false;
  private finished = false;
  private failFastTriggered = false;
  private firstError: Error | undefined;
  /** Set when the whole run is stopped: by the outer signal (cancelled) or the flow's own deadline. */
  private abortReason: Error | undefined;
  private abortStatus: RunStatus | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private onAbort: (() => void) | undefined;
  private readonly runStartedAt: number;
  readonly flowName: string | undefined;


  constructor(
    readonly engine: Engine,
    readonly runnable: Runnable,
    readonly prepared: PreparedFlow,
    readonly input: unknown,
    readonly runId: string,
    private readonly concurrency: number,
    private readonly failFast: boolean,
    private readonly signal: AbortSignal | undefined,
    readonly sync: boolean,
    private readonly parent: Execution | undefined,
  ) {
    const n = prepared.plans.length;
    this.n = n;
    this.status = new Array<number>(n).fill(PENDING);
    this.upstreamFailed = new Array<number>(n).fill(0);
    this.remaining = prepared.graph.needs.map((needs) => needs.length);
    this.notSucceeded = new Array<number>(n).fill(0);
    this.failedNeeds = new Array<number>(n).fill(0);
    this.attempts = new Array<number>(n).fill(0);
    this.startedAt = new Array<number>(n).fill(0);
    this.endedAt = new Array<number>(n).fill(0);
    this.outputs = new Array(n);
    this.errors = new Array(n);
    this.contexts = new Array(n);
    this.flowName = isFlow(runnable) ? runnable.name : undefined;
    this.runStartedAt = now();
    if (!sync) {
      this.promise = new Promise<RunResult>((resolve) => {
        this.resolvePromise = resolve;
      });
    }
  }

  begin(): void {
    const events = this.engine.events;
    if (events.active) {
      this.emit({
        type: 'run:start',
        runId: this.runId,
        at: timeOrigin + this.runStartedAt,
        task: this.runnable.name,
        kind: this.runnable.kind,
        parentFlow: this.parent?.flowName,
      });
    }
    if (this.signal !== undefined) {
      if (this.signal.aborted) {
        this.abortRun(new CancelledError(this.what, this.signal.reason), 'cancelled', this.signal.reason);
        return;
      }
      if (!this.sync) {
        const signal = this.signal;
        this.onAbort = () => this.abortRun(new CancelledError(this.what, signal.reason), 'cancelled', signal.reason);
        signal.addEventListener('abort', this.onAbort, { once: true });
      }
    }
    // A flow's own timeoutMs bounds the whole run when it is run directly (as a step, the parent enforces it).
    if (this.parent === undefined && isFlow(this.runnable) && this.runnable.timeoutMs !== undefined && !this.sync) {
      const ms = this.runnable.timeoutMs;
      this.deadline = setTimeout(() => {
        const error = new TimeoutError(this.what, ms);
        this.abortRun(error, 'failed', error);
      }, ms);
    }
    const needs = this.prepared.graph.needs;
    for (let i = 0; i < this.n; i++) if ((needs[i] as readonly number[]).length === 0) this.ready.push(i);
    this.pump();
  }

  /** Starts ready steps while the concurrency limit allows; re-entrant calls return at once. */
  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      while (this.readyHead < this.ready.length && (this.sync || this.running < this.concurrency)) {
        if (this.abortStatus !== undefined) break;
        if (this.sync && this.signal?.aborted) {
          this.abortRun(new CancelledError(this.what, this.signal.reason), 'cancelled', this.signal.reason);
          break;
        }
        const i = this.ready[this.readyHead++] as number;
        // A step queued for its retry may have been cancelled (fail-fast) while it waited here.
        if (this.status[i] !== PENDING) continue;
        if (this.failFastTriggered && (this.prepared.plans[i] as StepPlan).rule === RULE_ALL_SUCCEEDED) {
          this.skip(i, 'fail-fast', true);
          continue;
        }
        this.startStep(i);
      }
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
    } finally {
      this.pumping = false;
    }
    if (this.settled === this.n && this.abortStatus === undefined) this.finish();
  }

  private startStep(i: number): void {
    const plan = this.prepared.plans[i] as StepPlan;
    const attempt = ++this.attempts[i]!;
    const t0 = now();
    if (attempt === 1) this.startedAt[i] = t0;
    this.status[i] = RUNNING;
    this.running++;
    const ctx = new StepContext(this, i, attempt, plan);
    this.contexts[i] = ctx;
    const events = this.engine.events;
    if (events.active) {
      if (events.wantsStepStart) {
        this.emit({ type: 'step:start', runId: this.runId, at: timeOrigin + t0, flow: this.flowName, step: plan.id, task: plan.label, attempt });
      }
      if (events.observers.length > 0) events.notifyStepStart(this.runId, this.flowName, plan.id, plan.label, attempt);
    }
    const input = plan.useFlowInput ? this.input : plan.input;
    let value: unknown;
    try {
      value = plan.nested !== undefined ? this.runNested(plan.nested, input, ctx) : (plan.run as NonNullable<StepPlan['run']>)(ctx, input);
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
      value.then(
        (output) => this.stepSucceeded(i, ctx, output),
        (error: unknown) => this.stepFailed(i, ctx, error),
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

  private runNested(flow: Flow, input: unknown, ctx: StepContext): unknown {
    const child = this.engine.start(flow, input, { signal: this.sync ? undefined : ctx.signal, runId: this.runId, concurrency: this.concurrency, failFast: this.failFast }, this.sync, this);
    const unwrap = (result: RunResult): unknown => {
      if (result.status === 'succeeded') return result.output;
      const failedSteps = Object.entries(result.steps)
        .filter(([, step]) => step.status === 'failed')
        .map(([id]) => id);
      throw new CascadenceError(
        ErrorCode.FLOW_FAILED,
        `flow "${flow.name}" ${result.status}${failedSteps.length > 0 ? ` (failed steps: ${failedSteps.join(', ')})` : ''}${result.error ? `: ${result.error.message}` : ''}`,
        { cause: result.error, details: { flow: flow.name, steps: result.steps } },
      );
    };
    if (this.sync) return unwrap(child.result as RunResult);
    return (child.promise as Promise<RunResult>).then(unwrap);
  }

  private stepSucceeded(i: number, ctx: StepContext, output: unknown): void {
    if (ctx.done) return;
    ctx.finish();
    this.running--;
    const plan = this.prepared.plans[i] as StepPlan;
    const t = now();
    this.status[i] = SUCCEEDED;
    this.outputs[i] = output;
    this.endedAt[i] = t;
    this.settled++;
    const events = this.engine.events;
    if (events.active) {
      const durationMs = t - (this.startedAt[i] as number);
      if (events.wantsStepSuccess) {
        this.emit({ type: 'step:success', runId: this.runId, at: timeOrigin + t, flow: this.flowName, step: plan.id, task: plan.label, attempt: ctx.attempt, durationMs });
      }
      if (events.observers.length > 0) events.notifyStepSuccess(this.runId, this.flowName, plan.id, plan.label, ctx.attempt, durationMs);
    }
    this.release(i);
    this.pump();
  }

  private stepFailed(i: number, ctx: StepContext, thrown: unknown): void {
    if (ctx.done) return;
    ctx.finish();
    this.running--;
    const plan = this.prepared.plans[i] as StepPlan;
    const error = toError(thrown);
    const t = now();
    const events = this.engine.events;
    if (ctx.attempt < plan.retry.attempts && this.abortStatus === undefined && !this.failFastTriggered && isRetryable(plan.retry, error)) {
      const delayMs = retryDelay(plan.retry, ctx.attempt);
      if (events.active) {
        this.emit({ type: 'step:retry', runId: this.runId, at: timeOrigin + t, flow: this.flowName, step: plan.id, task: plan.label, attempt: ctx.attempt, durationMs: t - (this.startedAt[i] as number), error, delayMs });
      }
      this.status[i] = PENDING;
      if (this.sync) {
        sleepSync(delayMs);
        this.ready.push(i);
      } else {
        this.retryTimers.set(
          i,
          setTimeout(() => {
            this.retryTimers.delete(i);
            this.ready.push(i);
            this.pump();
          }, delayMs),
        );
      }
      this.pump();
      return;
    }
    this.status[i] = FAILED;
    this.errors[i] = error;
    this.endedAt[i] = t;
    this.settled++;
    this.firstError ??= error;
    if (events.active) {
      this.emit({ type: 'step:failure', runId: this.runId, at: timeOrigin + t, flow: this.flowName, step: plan.id, task: plan.label, attempt: ctx.attempt, durationMs: t - (this.startedAt[i] as number), error, status: 'failed' });
    }
    if (this.failFast && !this.failFastTriggered) {
      this.failFastTriggered = true;
      this.cancelInFlight(new Error(`fail-fast after ${this.stepWhere(plan.id)} failed`), false);
    }
    this.release(i);
    this.pump();
  }

  /**
   * Marks running and retry-waiting steps cancelled (with `stopAll`, pending ones too). Without
   * `stopAll` (fail-fast) their dependants are then decided by the trigger rules.
   */
  private cancelInFlight(reason: unknown, stopAll: boolean): void {
    const t = now();
    for (let i = 0; i < this.n; i++) {
      const state = this.status[i];
      // Waiting for a retry: on its backoff timer, or already queued in `ready` (attempted before).
      const waitingRetry = state === PENDING && (this.retryTimers.has(i) || (this.attempts[i] as number) > 0);
      if (state !== RUNNING && !waitingRetry && !(stopAll && state === PENDING)) continue;
      const plan = this.prepared.plans[i] as StepPlan;
      const ctx = this.contexts[i];
      const error = new CancelledError(this.stepWhere(plan.id), reason);
      if (state === RUNNING && ctx !== undefined) {
        ctx.finish();
        ctx.abort(error);
        this.running--;
      }
      if (waitingRetry && this.retryTimers.has(i)) {
        clearTimeout(this.retryTimers.get(i));
        this.retryTimers.delete(i);
      }
      this.status[i] = CANCELLED;
      this.errors[i] = error;
      this.endedAt[i] = t;
      this.settled++;
      if (this.engine.events.active && (state === RUNNING || waitingRetry)) {
        this.emit({ type: 'step:failure', runId: this.runId, at: timeOrigin + t, flow: this.flowName, step: plan.id, task: plan.label, attempt: this.attempts[i] as number, durationMs: t - (this.startedAt[i] as number), error, status: 'cancelled' });
      }
      if (!stopAll) this.release(i);
    }
  }

  /** Stops the whole run now: nothing new starts, running steps are aborted, the result is final. */
  private abortRun(runError: Error, status: RunStatus, stepReason: unknown): void {
    if (this.finished || this.abortStatus !== undefined) return;
    this.abortStatus = status;
    this.abortReason = runError;
    this.cancelInFlight(stepReason, true);
    this.finish();
  }

  /** Step i has ended: decide, in one pass without recursion, what its dependants do. */
  private release(from: number): void {
    const dependants = this.prepared.graph.dependants;
    const plans = this.prepared.plans;
    const stack = [from];
    while (stack.length > 0) {
      const j = stack.pop() as number;
      const state = this.status[j];
      const notOk = state !== SUCCEEDED;
      const failed = state === FAILED || state === CANCELLED || (state === SKIPPED && this.upstreamFailed[j] === 1);
      const deps = dependants[j] as readonly number[];
      for (let k = 0; k < deps.length; k++) {
        const d = deps[k] as number;
        if (notOk) {
          this.notSucceeded[d]!++;
          if (failed) this.failedNeeds[d]!++;
        }
        if (--this.remaining[d]! !== 0 || this.status[d] !== PENDING) continue;
        const rule = (plans[d] as StepPlan).rule;
        const anyFailed = this.failedNeeds[d]! > 0;
        const runIt =
          rule === RULE_ALL_SUCCEEDED ? this.notSucceeded[d] === 0 : rule === RULE_ALL_DONE || anyFailed;
        if (runIt) {
          this.ready.push(d);
        } else {
          this.skip(d, anyFailed ? 'upstream-failed' : 'trigger-rule', false);
          stack.push(d);
        }
      }
    }
  }

  private skip(i: number, reason: 'upstream-failed' | 'trigger-rule' | 'fail-fast', release: boolean): void {
    this.status[i] = SKIPPED;
    if (reason !== 'trigger-rule') this.upstreamFailed[i] = 1;
    this.settled++;
    if (this.engine.events.active) {
      const plan = this.prepared.plans[i] as StepPlan;
      this.emit({ type: 'step:skip', runId: this.runId, at: timeOrigin + now(), flow: this.flowName, step: plan.id, task: plan.label, reason });
    }
    if (release) this.release(i);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    if (this.retryTimersMap !== undefined) {
      for (const timer of this.retryTimersMap.values()) clearTimeout(timer);
      this.retryTimersMap.clear();
    }
    this.contexts.length = 0;

    const t = now();
    let status: RunStatus = this.abortStatus ?? (this.firstError === undefined ? 'succeeded' : 'failed');
    let error = this.abortReason ?? this.firstError;
    let output: unknown;
    if (status === 'succeeded') {
      try {
        output = this.computeOutput();
      } catch (thrown) {
        status = 'failed';
        error = toError(thrown);
      }
    }
    const result = {
      runId: this.runId,
      task: this.runnable.name,
      status,
      output,
      error,
      steps: undefined as unknown as Record<string, StepResult>,
      startedAt: timeOrigin + this.runStartedAt,
      durationMs: t - this.runStartedAt,
    } satisfies RunResult;
    // Large flows build the per-step record on first read: most callers only look at status and output.
    if (this.n <= EAGER_STEP_RESULTS) result.steps = this.stepResults();
    else Object.defineProperty(result, 'steps', {
      enumerable: true,
      configurable: true,
      get: () => {
        const steps = this.stepResults();
        Object.defineProperty(result, 'steps', { value: steps, enumerable: true, writable: true, configurable: true });
        return steps;
      },
    });
    this.result = result;
    if (this.engine.events.active) {
      this.emit({ type: 'run:end', runId: this.runId, at: timeOrigin + t, task: this.runnable.name, kind: this.runnable.kind, parentFlow: this.parent?.flowName, status, durationMs: result.durationMs, error });
    }
    this.resolvePromise?.(result);
  }

  private stepResults(): Record<string, StepResult> {
    const steps: Record<string, StepResult> = {};
    const { ids } = this.prepared.graph;
    for (let i = 0; i < this.n; i++) {
      const attempts = this.attempts[i] as number;
      const ended = this.endedAt[i] as number;
      steps[ids[i] as string] = {
        status: STATUS_NAMES[this.status[i] as number] as StepStatus,
        output: this.outputs[i],
        error: this.errors[i],
        attempts,
        startedAt: attempts > 0 ? timeOrigin + (this.startedAt[i] as number) : undefined,
        durationMs: attempts > 0 && ended > 0 ? ended - (this.startedAt[i] as number) : undefined,
      };
    }
    return steps;
  }

  /** A lone task's output; for a flow, `output(results)` or else the outputs of its final steps. */
  private computeOutput(): unknown {
    if (!isFlow(this.runnable)) return this.outputs[0];
    const { ids, dependants } = this.prepared.graph;
    const results: Record<string, unknown> = {};
    const custom = this.runnable.output;
    for (let i = 0; i < this.n; i++) {
      if (this.status[i] !== SUCCEEDED) continue;
      if (custom !== undefined || (dependants[i] as readonly number[]).length === 0) results[ids[i] as string] = this.outputs[i];
    }
    return custom === undefined ? results : custom(results, this.input);
  }

  isSucceeded(i: number): boolean {
    return this.status[i] === SUCCEEDED;
  }

  /** `flow "x"` or `task "x"`, for messages. */
  private get what(): string {
    return `${this.flowName === undefined ? 'task' : 'flow'} "${this.runnable.name}"`;
  }

  private get retryTimers(): Map<number, ReturnType<typeof setTimeout>> {
    return (this.retryTimersMap ??= new Map());
  }

  stepWhere(stepId: string): string {
    return this.flowName === undefined ? `task "${stepId}"` : `step "${stepId}" of flow "${this.flowName}"`;
  }

  /** True once nothing more may start (cancelled, timed out, or fail-fast). */
  get stopping(): boolean {
    return this.abortStatus !== undefined;
  }

  get stopReason(): Error | undefined {
    return this.abortReason;
  }

  private emit(event: EngineEvent): void {
    this.engine.events.emit(event);
  }
}

/** `ctx` of one attempt of one step. Signal, logger and results are built only when read. */
class StepContext implements TaskContext {
  done = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | undefined;
  private cachedResults: Record<string, unknown> | undefined;
  private cachedLog: Logger | undefined;

  constructor(
    private readonly execution: Execution,
    private readonly index: number,
    readonly attempt: number,
    private readonly plan: StepPlan,
  ) {}

  get runId(): string {
    return this.execution.runId;
  }
  get task(): string {
    return this.plan.label;
  }
  get stepId(): string {
    return this.plan.id;
  }
  get flow(): string | undefined {
    return this.execution.flowName;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.execution.stopping) this.controller.abort(this.execution.stopReason);
    }
    return this.controller.signal;
  }

  get log(): Logger {
    return (this.cachedLog ??= this.execution.engine.loggerFor(this.execution.flowName, this.plan.id));
  }

  get results(): Record<string, unknown> {
    if (this.cachedResults === undefined) {
      const { ids, needs } = this.execution.prepared.graph;
      const own: Record<string, unknown> = {};
      for (const need of needs[this.index] as readonly number[]) {
        if (this.execution.isSucceeded(need)) own[ids[need] as string] = this.execution.outputs[need];
      }
      this.cachedResults = own;
    }
    return this.cachedResults;
  }

  abort(reason: Error): void {
    this.controller?.abort(reason);
  }

  finish(): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

function runValidate(processor: Processor<any, any>, options: unknown, where: string): void {
  try {
    processor.validate?.(options, where);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CascadenceError(ErrorCode.INVALID_OPTIONS, message.startsWith(where) ? message : `${where}: ${message}`, { cause: error });
  }
}

function singleStepGraph(task: Task<any, any, any>): FlowGraph {
  return {
    ids: [task.name],
    steps: [{ task }],
    needs: [[]],
    dependants: [[]],
    order: [0],
    index: new Map([[task.name, 0]]),
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function checkConcurrency(value: number): number {
  if (value === Infinity || (Number.isInteger(value) && value >= 1)) return value;
  throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `concurrency must be a positive integer or Infinity (got ${String(value)})`);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread: runSync's retry delays have no event loop to wait on. */
function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}


function prefixed(error: unknown, where: string): unknown {
  if (!CascadenceError.isInstance(error)) return error;
  return new CascadenceError(error.code, `${where}: ${error.message}`, {
    cause: error,
    suggestions: error.suggestions,
    details: error.details,
  });
}
