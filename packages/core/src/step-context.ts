import type { Execution } from './execution';
import type { Logger } from './logger';
import type { StepPlan } from './step-plan';
import { StepSkipSignal } from './step-skip';
import type { TaskContext } from './task';

/**
 * Contexts aborted (timed out, cancelled) before their `ctx.signal` was first read, with the reason
 * it is then made with. A side table, not a field: a field would make every step's context bigger
 * for what few ever need.
 */
const abortedUnread = new WeakMap<StepContext, Error>();

/** `ctx` of one attempt of one step. Signal, logger and results are built only when read. */
export class StepContext implements TaskContext {
  done = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | undefined;
  private cachedResults: Record<string, unknown> | undefined;
  private cachedLog: Logger | undefined;
  /** The attempt's scope from the run's tracer; undefined when not traced. */
  traceScope: unknown = undefined;

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
      const state = this.execution.state;
      const early = abortedUnread.get(this);
      if (early !== undefined) this.controller.abort(early);
      else if (state.stopped && !state.runsWhenStopped(this.index)) this.controller.abort(state.stopReason);
    }
    return this.controller.signal;
  }

  get log(): Logger {
    if (this.cachedLog !== undefined) return this.cachedLog;
    const tracer = this.execution.tracer;
    const scope = this.traceScope;
    // Traced: the tracer's words are asked for at each line (only when the step logs).
    const tag =
      scope === undefined || tracer?.logTag === undefined
        ? undefined
        : (): string | undefined => {
            try {
              return (tracer.logTag as (s: unknown) => string | undefined)(scope);
            } catch {
              return undefined;
            }
          };
    return (this.cachedLog = this.execution.engine.loggerFor(this.execution.flowName, this.plan.id, tag));
  }

  get results(): Record<string, unknown> {
    return (this.cachedResults ??= this.execution.state.neededResults(this.index, this.execution.plan.graph.ids));
  }

  skip(reason?: string): never {
    throw new StepSkipSignal(this.execution.stepWhere(this.plan.id), reason ?? '');
  }

  abort(reason: Error): void {
    // Not read yet: remembered, so a read after the attempt ended still sees it aborted. The
    // first reason stays, as an AbortController keeps its first.
    if (this.controller !== undefined) this.controller.abort(reason);
    else if (!abortedUnread.has(this)) abortedUnread.set(this, reason);
  }

  finish(): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
