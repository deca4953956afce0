import { runWhat } from './dag/messages';
import { resolveReuse, type ReusedSteps } from './dag/reuse';
import { CascadenceError, ErrorCode } from './errors';
import { EventBus, type EventSource } from './events';
import { Execution } from './execution';
import { isFlow, type Flow } from './flow';
import { consoleLogger, scopedLogger, taggedLogger, type Logger } from './logger';
import type { RunInput, RunResultOf } from './flow-types';
import { planRunnable, type PlanOptions, type Runnable, type RunnablePlan, type StepResolver } from './step-plan';
import { newRunId } from './run-id';
import { isTask } from './task';
import type { RunTrigger } from './trigger';

export type { Runnable, StepResolver } from './step-plan';

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
  /** What started the run; passed on to `run:start` listeners (run history records it). */
  trigger?: RunTrigger;
  /**
   * Outputs of steps that succeeded in an earlier run of this flow, by step id: those steps do
   * not run again and keep these outputs (retry from the failed step). Every step a reused step
   * needs must be reused too.
   */
  reuse?: Readonly<Record<string, unknown>>;
}

const DEFAULT_CONCURRENCY = 16;

/** `options` when none are given: no object per run. */
const NO_OPTIONS: RunOptions = Object.freeze({});

interface PreparedEntry {
  plan: RunnablePlan;
  resolverVersion: number | undefined;
}

/**
 * Runs tasks and flows in process. `run` accepts sync and async steps mixed and only hops the
 * event loop when a step really returns a Promise; `runSync` runs synchronous flows with no
 * Promise at all. What a flow means is decided by `@cascadence/core/dag`, shared with every
 * other backend; see execution.ts for the local driver.
 */
export class Engine implements EventSource {
  readonly events: EventBus;
  readonly concurrency: number;
  readonly failFast: boolean;
  private readonly logger: Logger;
  private readonly resolver: StepResolver | undefined;
  private readonly prepared = new WeakMap<Runnable, PreparedEntry>();
  /** The last runnable planned and its entry: a service runs the same flow over and over. */
  private lastRunnable: Runnable | undefined;
  private lastPrepared: PreparedEntry | undefined;
  private inFlight = 0;
  /** Top-level async runs started so far (Execution.startOrder). */
  private started = 0;
  private settledWaiters: Array<() => void> = [];
  /**
   * Top-level runs started with `run` and not finished: what `cancel` can reach. A list, each run
   * knowing its slot, rather than a map by id: adding and removing cost no hashing of the id, and
   * `cancel` (rare) looks through it.
   */
  private readonly unfinished: Execution[] = [];

  constructor(options: EngineOptions = {}) {
    this.concurrency = checkConcurrency(options.concurrency ?? DEFAULT_CONCURRENCY);
    this.failFast = options.failFast ?? false;
    this.logger = options.logger ?? consoleLogger();
    this.resolver = options.resolver;
    this.events = options.events ?? new EventBus();
  }

  /**
   * Runs a task or flow; resolves to its RunResult (a failed run resolves too, with status `failed`).
   * A typed flow's result is typed: `output` and each `steps[id].output`.
   */
  run<R extends Runnable>(runnable: R, input?: RunInput<R>, options: RunOptions = NO_OPTIONS): Promise<RunResultOf<R>> {
    let execution: Execution;
    try {
      execution = this.start(runnable, input, options, false);
    } catch (error) {
      return Promise.reject(error);
    }
    return execution.promise as Promise<RunResultOf<R>>;
  }

  /**
   * Cancels a run of this engine that is still going, as aborting its `signal` would: running
   * steps see `ctx.signal` abort, nothing new starts, the result is `cancelled` with `reason`.
   * False when no unfinished run (started with `run`) has that id. This is how a run started in
   * this process is cancelled from elsewhere (`task cancel`, the dashboard) through the history.
   */
  cancel(runId: string, reason: string = 'cancelled'): boolean {
    const unfinished = this.unfinished;
    // The latest run started with that id, as when runs were kept by id.
    let execution: Execution | undefined;
    for (let k = 0; k < unfinished.length; k++) {
      const candidate = unfinished[k] as Execution;
      if (candidate.runId === runId && (execution === undefined || candidate.startOrder > execution.startOrder)) execution = candidate;
    }
    if (execution === undefined) return false;
    // An Error, as a signal's reason usually is: its message reads without quotes.
    execution.cancel(new Error(reason));
    return true;
  }

  /** @internal a top-level run ended (its result is final). */
  runFinished(execution: Execution): void {
    const slot = execution.slot;
    if (slot < 0) return;
    const unfinished = this.unfinished;
    const last = unfinished.pop() as Execution;
    if (last !== execution) {
      unfinished[slot] = last;
      last.slot = slot;
    }
    execution.slot = -1;
  }

  /**
   * Runs a task or flow whose steps are all synchronous, returning the RunResult directly.
   * Throws CASCADENCE_ASYNC_IN_RUN_SYNC if a step returns a Promise. Retry delays block the thread.
   */
  runSync<R extends Runnable>(runnable: R, input?: RunInput<R>, options: Omit<RunOptions, 'concurrency'> = NO_OPTIONS): RunResultOf<R> {
    return this.start(runnable, input, options, true).result as RunResultOf<R>;
  }

  /**
   * Step functions whose promise has not settled yet, in every run of this engine — including
   * steps a timeout or cancellation gave up on that ignore `ctx.signal`: a run's result can be
   * final while its code still runs (what a CLI waits for before it exits).
   */
  get stepsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves once `stepsInFlight` is 0. */
  whenStepsSettled(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** @internal a step function returned a promise. */
  stepPromiseStarted(): void {
    this.inFlight++;
  }

  /** @internal that promise settled, whether or not the run still waited for it. */
  stepPromiseSettled(): void {
    if (--this.inFlight > 0 || this.settledWaiters.length === 0) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves names and validates processor options of a flow (and its nested flows) without running it. */
  prepare(runnable: Runnable): void {
    this.plan(runnable);
  }

  private start(runnable: Runnable, input: unknown, options: RunOptions, sync: boolean): Execution {
    // The runnable planned last was checked when it was planned (a service runs one flow over and
    // over); before any plan, lastRunnable is undefined, and so may `runnable` be.
    const planned = runnable === this.lastRunnable && runnable !== undefined;
    if (!planned && !isTask(runnable) && !isFlow(runnable)) {
      throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'engine.run expects a task or flow made with defineTask or defineFlow');
    }
    if (this.resolver?.isEnabled !== undefined && !this.resolver.isEnabled(runnable.name)) {
      throw new CascadenceError(ErrorCode.TASK_DISABLED, `task "${runnable.name}" is disabled`, {
        suggestions: [`enable it with: task enable ${runnable.name}`],
        details: { task: runnable.name },
      });
    }
    const plan = this.plan(runnable);
    const startedAt = performance.now();
    const execution = new Execution(
      this,
      plan,
      input,
      {
        runId: options.runId ?? newRunId(),
        concurrency: options.concurrency === undefined ? this.concurrency : checkConcurrency(options.concurrency),
        failFast: options.failFast ?? this.failFast,
        signal: options.signal,
        sync,
        trigger: options.trigger,
        reuse: options.reuse === undefined ? undefined : reusedSteps(plan, options.reuse),
      },
      undefined,
      undefined,
      startedAt,
    );
    if (!sync) {
      execution.slot = this.unfinished.length;
      execution.startOrder = this.started++;
      this.unfinished.push(execution);
    }
    execution.begin();
    return execution;
  }

  /** @internal a nested flow's run, inside its parent's (same run id, the step's signal). */
  startNested(flow: Flow, input: unknown, settings: Execution['settings'], parent: Execution, parentTraceScope: unknown): Execution {
    const execution = new Execution(this, this.plan(flow), input, settings, parent, parentTraceScope, performance.now());
    execution.begin();
    return execution;
  }

  /** @internal */
  loggerFor(flow: string | undefined, step: string, tag?: () => string | undefined): Logger {
    const scope = flow === undefined ? step : `${flow}/${step}`;
    return tag === undefined ? scopedLogger(this.logger, scope) : taggedLogger(this.logger, scope, tag);
  }

  private plan(runnable: Runnable): RunnablePlan {
    const version = this.resolver?.version;
    if (runnable === this.lastRunnable) {
      const last = this.lastPrepared as PreparedEntry;
      if (last.resolverVersion === version) return last.plan;
    }
    const cached = this.prepared.get(runnable);
    if (cached !== undefined && cached.resolverVersion === version) {
      this.lastRunnable = runnable;
      this.lastPrepared = cached;
      return cached.plan;
    }
    const prepared = this.prepared;
    const cache: NonNullable<PlanOptions['planned']> = {
      get: (r) => {
        const entry = prepared.get(r);
        return entry !== undefined && entry.resolverVersion === version ? entry.plan : undefined;
      },
      set: (r, plan) => void prepared.set(r, { plan, resolverVersion: version }),
    };
    return planRunnable(runnable, { resolver: this.resolver, planned: cache });
  }
}

function checkConcurrency(value: number): number {
  if (value === Infinity || (Number.isInteger(value) && value >= 1)) return value;
  throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `concurrency must be a positive integer or Infinity (got ${String(value)})`);
}

/** `RunOptions.reuse` checked against the plan: only flows, only their steps, upstream-closed. */
function reusedSteps(plan: RunnablePlan, outputs: Readonly<Record<string, unknown>>): ReusedSteps {
  const runnable = plan.runnable;
  const fail = (problem: string): never => {
    throw new CascadenceError(ErrorCode.INVALID_REUSE, `cannot reuse outputs in ${runWhat(runnable.kind, runnable.name)}: ${problem}`, {
      details: { task: runnable.name },
    });
  };
  if (!isFlow(runnable)) return fail("only a flow's steps can be reused");
  const index = plan.graph.index;
  const resolved = resolveReuse(plan.shape, plan.graph.ids, (id) => index.get(id), outputs);
  return resolved.reuse ?? fail(resolved.problem as string);
}
