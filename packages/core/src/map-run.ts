/**
 * One run of a `map` step on the local engine: runs the step's task, function, processor or
 * nested flow once per item, at most `concurrency` at a time, each item with the step's retry
 * policy and timeout, and settles to the array of outputs in item order — or to a
 * CASCADENCE_MAP_ITEMS_FAILED error (`settle`: after every item ended; `fail-fast`: at the first
 * failure, cancelling the rest). Items that end synchronously cost no promise and no event-loop
 * hop, so a map of synchronous items completes inside the step's own call.
 */
import { itemWhere, mapFailFastReason, mapItemsFailedMessage } from './dag/map-items';
import { CANCELLED, FAILED, PENDING, RUNNING, SKIPPED, STEP_STATUS_NAMES, SUCCEEDED } from './dag/status';
import { CancelledError, CascadenceError, ErrorCode, TimeoutError, toError } from './errors';
import type { StepItemEvent } from './events';
import type { Execution } from './execution';
import type { Logger } from './logger';
import type { MapPlan } from './map-spec';
import type { MapItemResult, MapItemStatus } from './result';
import { decideRetry } from './retry';
import { sleepSync } from './sleep-sync';
import type { StepContext } from './step-context';
import type { StepPlan } from './step-plan';
import { skipSignalReason, StepSkipSignal } from './step-skip';
import type { TaskContext } from './task';
import { isThenable } from './thenable';

const now = (): number => performance.now();

/** What only some running attempts need: a timeout timer, an abort controller (`ctx.signal` was read). */
interface ItemControl {
  /** The attempt it belongs to (one attempt per item runs at a time). */
  attempt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  controller: AbortController | undefined;
}

/**
 * `ctx` of one attempt of one item: the step's context, with the item's attempt and signal. One
 * is made per attempt, and the map never holds on to it: whether the attempt is still current is
 * read from the map's arrays by (item, attempt), and timers and controllers live in a side table
 * keyed by item. So when the item's function does not keep `ctx` (or is inlined and ignores it),
 * the VM need not allocate it at all — a ctx kept across the item's await made every item
 * allocate, and outlive young-generation collections (allocation per item was the map's main cost).
 */
class ItemContext implements TaskContext {
  private controller: AbortController | undefined;

  constructor(
    private readonly map: MapRun,
    /** The item's index in the list. */
    readonly item: number,
    readonly attempt: number,
  ) {}

  get runId(): string {
    return this.map.step.runId;
  }
  get task(): string {
    return this.map.step.task;
  }
  get stepId(): string {
    return this.map.step.stepId;
  }
  get flow(): string | undefined {
    return this.map.step.flow;
  }
  get log(): Logger {
    return this.map.step.log;
  }
  get results(): Record<string, unknown> {
    return this.map.step.results;
  }
  get traceScope(): unknown {
    return this.map.step.traceScope;
  }
  get signal(): AbortSignal {
    return (this.controller ??= this.map.controllerOf(this.item, this.attempt)).signal;
  }
  skip(reason?: string): never {
    throw new StepSkipSignal(this.map.itemWhere(this.item), reason ?? '');
  }
}

export class MapRun {
  private readonly n: number;
  // Per-item bookkeeping in typed arrays: their storage lives outside the JS heap, so a map of
  // 10,000 items does not give the young-generation GC arrays to copy while the map runs.
  /** Item status codes (the dag's PENDING, RUNNING, SUCCEEDED, ...). */
  private readonly status: Uint8Array;
  private readonly attempts: Uint32Array;
  private readonly outputs: unknown[];
  /** Errors of failed or cancelled items (sparse: made at the first one). */
  private errors: Array<Error | undefined> | undefined;
  private skipMessages: Array<string | undefined> | undefined;
  /**
   * Running attempts a stop or a settle must reach, by item: those with a timeout timer or whose
   * `ctx.signal` was read. Others need no bookkeeping: a stop marks them cancelled, and their late
   * result is ignored because they are no longer their item's current attempt.
   */
  private readonly controls = new Map<number, ItemControl>();
  private readonly limit: number;
  private readonly failFast: boolean;
  private nextItem = 0;
  private active = 0;
  private settled = 0;
  private failed = 0;
  /** Items whose retry delay is over, waiting for a slot. */
  private readonly retryQueue: number[] = [];
  private retryHead = 0;
  private retryTimers: Map<number, ReturnType<typeof setTimeout>> | undefined;
  /**
   * Attempts that timed out before their `ctx.signal` was read, by `item/attempt` (made at the
   * first): a later read gets a signal already aborted with the timeout.
   */
  private timedOutUnread: Map<string, Error> | undefined;
  private pumping = false;
  private finished = false;
  /** Set when the map stops early (fail-fast, or its step was cancelled): why. */
  stopReason: Error | undefined;
  private failFastItem = -1;
  private startedAt: Float64Array | undefined;
  private resolve: ((outputs: unknown[]) => void) | undefined;
  private reject: ((error: Error) => void) | undefined;

  constructor(
    private readonly execution: Execution,
    readonly step: StepContext,
    private readonly plan: StepPlan,
    private readonly items: readonly unknown[],
    mapPlan: MapPlan,
  ) {
    const n = items.length;
    this.n = n;
    this.status = new Uint8Array(n).fill(PENDING);
    this.attempts = new Uint32Array(n);
    this.outputs = new Array(n);
    this.limit = execution.sync ? 1 : (mapPlan.concurrency ?? execution.settings.concurrency);
    this.failFast = mapPlan.failFast;
    if (execution.engine.events.active) this.startedAt = new Float64Array(n);
  }

  /** Runs the items: the outputs array at once when every item ended synchronously, else a promise of it. */
  start(): unknown[] | Promise<unknown[]> {
    if (!this.execution.sync) {
      const signal = this.step.signal;
      if (signal.aborted) this.stop(toError(signal.reason));
      else signal.addEventListener('abort', () => this.stop(toError(signal.reason)), { once: true });
    }
    this.pump();
    if (this.finished) return this.outcome();
    return new Promise<unknown[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Each item's result, in item order (RunResult.steps[id].items). */
  results(): MapItemResult[] {
    const results: MapItemResult[] = new Array(this.n);
    for (let k = 0; k < this.n; k++) {
      const result: MapItemResult = {
        status: STEP_STATUS_NAMES[this.status[k] as number] as MapItemStatus,
        attempts: this.attempts[k] as number,
        output: this.outputs[k],
        error: this.errors?.[k],
      };
      const message = this.skipMessages?.[k];
      if (message !== undefined) result.skipMessage = message;
      results[k] = result;
    }
    return results;
  }

  itemWhere(k: number): string {
    return itemWhere(this.execution.stepWhere(this.plan.id), k);
  }

  /**
   * Starts lanes while fewer than `limit` items run and items wait. A lane is a loop that runs one
   * item after another, awaiting each (no callbacks, no promise per item beyond the item's own);
   * a lane whose item timed out is replaced at once and exits when that item finally settles.
   */
  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      while (this.stopReason === undefined && this.active < this.limit && this.hasWork()) {
        if (this.execution.sync) this.syncLane();
        else void this.lane();
      }
    } finally {
      this.pumping = false;
    }
    if (this.settled === this.n) this.finish();
  }

  private hasWork(): boolean {
    return this.retryHead < this.retryQueue.length || this.nextItem < this.n;
  }

  /** The next item to start, or -1: retries whose delay is over first, then new items. */
  private take(): number {
    if (this.stopReason !== undefined || this.active >= this.limit) return -1;
    if (this.retryHead < this.retryQueue.length) return this.retryQueue[this.retryHead++] as number;
    if (this.nextItem < this.n) return this.nextItem++;
    return -1;
  }

  private async lane(): Promise<void> {
    for (let k = this.take(); k >= 0; k = this.take()) {
      // Only (k, attempt) live across the await below, not the ctx (see ItemContext).
      const attempt = this.begin(k);
      let value: unknown;
      try {
        value = this.call(k, new ItemContext(this, k, attempt));
      } catch (error) {
        this.itemFailed(k, attempt, error);
        continue;
      }
      if (!isThenable(value)) {
        this.itemSucceeded(k, attempt, value);
        continue;
      }
      if (this.plan.timeoutMs !== undefined) this.armTimeout(k, attempt, this.plan.timeoutMs);
      let taken: boolean;
      try {
        taken = this.itemSucceeded(k, attempt, await value);
      } catch (error) {
        taken = this.itemFailed(k, attempt, error);
      }
      // Timed out (a new lane took over) or cancelled while awaited: this lane is done.
      if (!taken) return;
    }
    if (this.settled === this.n) this.finish();
  }

  /** runSync: one lane, every item synchronous (a Promise is the runSync error). */
  private syncLane(): void {
    for (let k = this.take(); k >= 0; k = this.take()) {
      const attempt = this.begin(k);
      const t0 = now();
      let value: unknown;
      try {
        value = this.call(k, new ItemContext(this, k, attempt));
      } catch (error) {
        if (CascadenceError.isInstance(error, ErrorCode.ASYNC_IN_RUN_SYNC)) throw error;
        this.itemFailed(k, attempt, error);
        continue;
      }
      if (isThenable(value)) {
        Promise.resolve(value).catch(() => {});
        throw new CascadenceError(
          ErrorCode.ASYNC_IN_RUN_SYNC,
          `${this.itemWhere(k)} returned a Promise, but runSync only runs synchronous steps; use engine.run() for async steps`,
          { details: { flow: this.execution.flowName, step: this.plan.id, item: k } },
        );
      }
      // A synchronous item cannot be interrupted; its timeout is judged after the fact.
      if (this.plan.timeoutMs !== undefined && now() - t0 > this.plan.timeoutMs)
        this.itemFailed(k, attempt, new TimeoutError(this.itemWhere(k), this.plan.timeoutMs));
      else this.itemSucceeded(k, attempt, value);
    }
  }

  /** Starts item k's next attempt; returns its number. */
  private begin(k: number): number {
    const attempt = ++this.attempts[k]!;
    this.status[k] = RUNNING;
    this.active++;
    if (this.startedAt !== undefined && attempt === 1) this.startedAt[k] = now();
    return attempt;
  }

  private call(k: number, ctx: ItemContext): unknown {
    const plan = this.plan;
    return plan.nested !== undefined
      ? this.execution.runNested(plan.nested, this.items[k], ctx)
      : (plan.run as NonNullable<StepPlan['run']>)(ctx, this.items[k]);
  }

  private armTimeout(k: number, attempt: number, ms: number): void {
    this.controlOf(k, attempt).timer = setTimeout(() => {
      const error = new TimeoutError(this.itemWhere(k), ms);
      const control = this.controls.get(k);
      const controller = control?.attempt === attempt ? control.controller : undefined;
      if (controller !== undefined) controller.abort(error);
      else (this.timedOutUnread ??= new Map()).set(`${k}/${attempt}`, error);
      this.itemFailed(k, attempt, error);
      this.pump();
    }, ms);
  }

  private controlOf(k: number, attempt: number): ItemControl {
    let control = this.controls.get(k);
    if (control === undefined || control.attempt !== attempt)
      this.controls.set(k, (control = { attempt, timer: undefined, controller: undefined }));
    return control;
  }

  /** The controller of `ctx.signal` of item k's attempt, made when first read (aborted at once if the map has stopped). */
  controllerOf(k: number, attempt: number): AbortController {
    // Read after its attempt ended (settled, timed out, retried): its own controller, in no table,
    // aborted if the attempt timed out.
    if (this.stopReason === undefined && !this.isCurrent(k, attempt)) {
      const controller = new AbortController();
      const timeout = this.timedOutUnread?.get(`${k}/${attempt}`);
      if (timeout !== undefined) controller.abort(timeout);
      return controller;
    }
    const control = this.controlOf(k, attempt);
    if (control.controller === undefined) {
      control.controller = new AbortController();
      if (this.stopReason !== undefined) control.controller.abort(this.stopReason);
    }
    return control.controller;
  }

  /** Whether `attempt` is item k's running attempt (not settled, timed out or stopped). */
  private isCurrent(k: number, attempt: number): boolean {
    return this.status[k] === RUNNING && this.attempts[k] === attempt;
  }

  /** Takes item k's running attempt out: its slot is free; false when it was no longer current. */
  private settle(k: number, attempt: number): boolean {
    if (!this.isCurrent(k, attempt)) return false;
    if (this.controls.size !== 0) {
      const control = this.controls.get(k);
      if (control !== undefined && control.attempt === attempt) {
        if (control.timer !== undefined) clearTimeout(control.timer);
        this.controls.delete(k);
      }
    }
    this.active--;
    return true;
  }

  private itemSucceeded(k: number, attempt: number, output: unknown): boolean {
    if (!this.settle(k, attempt)) return false;
    this.status[k] = SUCCEEDED;
    this.outputs[k] = output;
    this.settled++;
    if (this.startedAt !== undefined) this.emit(k, attempt, 'succeeded', undefined, output);
    return true;
  }

  private itemFailed(k: number, attempt: number, thrown: unknown): boolean {
    if (!this.settle(k, attempt)) return false;
    const skipped = skipSignalReason(thrown);
    if (skipped !== undefined) {
      this.status[k] = SKIPPED;
      (this.skipMessages ??= [])[k] = skipped;
      this.settled++;
      if (this.startedAt !== undefined) this.emit(k, attempt, 'skipped', undefined, undefined);
      return true;
    }
    const error = toError(thrown);
    const delayMs = decideRetry(this.plan.retry, attempt, error, this.stopReason === undefined && this.execution.state.mayRetry);
    if (delayMs >= 0) {
      this.status[k] = PENDING;
      if (this.startedAt !== undefined) this.emit(k, attempt, 'retrying', error, undefined);
      if (this.execution.sync) {
        sleepSync(delayMs);
        this.retryQueue.push(k);
      } else {
        const timers = (this.retryTimers ??= new Map());
        timers.set(
          k,
          setTimeout(() => {
            timers.delete(k);
            this.retryQueue.push(k);
            this.pump();
          }, delayMs),
        );
      }
      return true;
    }
    this.status[k] = FAILED;
    (this.errors ??= [])[k] = error;
    this.failed++;
    this.settled++;
    if (this.startedAt !== undefined) this.emit(k, attempt, 'failed', error, undefined);
    if (this.failFast && this.stopReason === undefined) {
      this.failFastItem = k;
      this.stop(new Error(mapFailFastReason(k)));
    }
    return true;
  }

  /** Stops early: nothing new starts; running and waiting items are cancelled with `reason`. */
  private stop(reason: Error): void {
    if (this.stopReason !== undefined || this.finished) return;
    this.stopReason = reason;
    const controlled = new Map<number, ItemControl>();
    for (const [k, control] of this.controls) if (this.isCurrent(k, control.attempt)) controlled.set(k, control);
    this.controls.clear();
    for (let k = 0; k < this.n; k++) {
      const state = this.status[k];
      if (state !== PENDING && state !== RUNNING) continue;
      const error = new CancelledError(this.itemWhere(k), reason);
      if (state === RUNNING) {
        const control = controlled.get(k);
        if (control !== undefined) {
          if (control.timer !== undefined) clearTimeout(control.timer);
          control.controller?.abort(error);
        }
        this.active--;
      }
      const timer = this.retryTimers?.get(k);
      if (timer !== undefined) clearTimeout(timer);
      this.status[k] = CANCELLED;
      // Items that never started are cancelled without an error of their own.
      if ((this.attempts[k] as number) > 0) (this.errors ??= [])[k] = error;
      this.settled++;
    }
    this.retryTimers?.clear();
    this.pump();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.controls.clear();
    if (this.resolve === undefined) return;
    try {
      this.resolve(this.outcome());
    } catch (error) {
      (this.reject as (error: Error) => void)(error as Error);
    }
  }

  /** The outputs, or the step's error when items failed (or the map was stopped). */
  private outcome(): unknown[] {
    if (this.failed === 0 && this.stopReason === undefined) return this.outputs;
    const where = this.execution.stepWhere(this.plan.id);
    let first = this.failFastItem;
    if (first < 0) first = this.status.indexOf(FAILED);
    if (first < 0) throw new CancelledError(where, this.stopReason);
    const cause = (this.errors as Error[])[first] as Error;
    const failedItems: number[] = [];
    for (let k = 0; k < this.n && failedItems.length < 100; k++) if (this.status[k] === FAILED) failedItems.push(k);
    const message = mapItemsFailedMessage(where, this.failFast, this.failed, this.n, first, cause.message);
    throw new CascadenceError(ErrorCode.MAP_ITEMS_FAILED, message, {
      cause,
      details: { step: this.plan.id, items: this.n, failed: this.failed, failedItems },
    });
  }

  private emit(k: number, attempt: number, status: StepItemEvent['status'], error: Error | undefined, output: unknown): void {
    const t = now();
    const event: StepItemEvent = {
      type: 'step:item',
      runId: this.execution.runId,
      at: performance.timeOrigin + t,
      flow: this.execution.flowName,
      step: this.plan.id,
      task: this.plan.label,
      attempt,
      item: k,
      items: this.n,
      status,
      durationMs: t - (this.startedAt as Float64Array)[k]!,
      error,
      output,
    };
    this.execution.engine.events.emit(event);
  }
}
