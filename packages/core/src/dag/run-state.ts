/**
 * The run state machine of one flow (or lone task): step statuses, dependency counters, the
 * ready queue, trigger rules and skip propagation, fail-fast, cancellation bookkeeping, the final
 * status, the run-level error and the default output. It runs nothing and knows no clock: a
 * driver (the local engine, the Temporal workflow, a simulator in tests) starts the steps it
 * hands out and reports how they ended. Every backend drives this one class, so a flow means the
 * same thing wherever it runs.
 *
 * Pure and sandbox-safe: no Node built-ins, no timers, no globals read at load.
 */
import type { RunStatus } from '../result';
import type { DagShape } from './shape';
import {
  CANCELLED,
  FAILED,
  PENDING,
  RULE_ALL_SUCCEEDED,
  RULE_ALWAYS,
  RULE_NONE_FAILED,
  RULE_ONE_SUCCEEDED,
  RUNNING,
  SKIPPED,
  SKIPPED_UPSTREAM,
  SUCCEEDED,
  type SkipReason,
} from './status';
import { decide, endedWeight, RUN, SKIP_UPSTREAM_FAILED, WAIT } from './trigger-rules';

/** What the state machine tells its driver while it decides. */
export interface RunStateObserver {
  /** Step `step` will not run; called in the order the decisions are made. */
  stepSkipped?(step: number, reason: SkipReason): void;
}

/** How a step was caught by a cancellation: running, waiting for its retry, or never started. */
export type CancelledWhile = 'running' | 'retry-wait' | 'pending';

/** A driver's handler for one cancelled step: stop what runs, and give the step's error. */
export type CancelStep<E> = (step: number, while_: CancelledWhile) => E;

/**
 * What `errors`, `skipReasons` and `skipMessages` hold until a step fails or is skipped: most runs
 * never write them, and three arrays less per run count when a service runs thousands at once.
 */
const NONE: never[] = Object.freeze([]) as never[];

/**
 * Up to this many steps, `ctx.results` objects are made in the VM's fast mode (`{}` given a null
 * prototype rather than `Object.create(null)`: making, reading and enumerating them costs about
 * half). Past it, they are made
 * prototype-less from the start: a hidden class per step id costs more than it saves when a flow
 * has tens of thousands of ids. The object is the same either way.
 */
const FAST_RESULTS_MAX_STEPS = 256;

export class RunState<E> {
  readonly n: number;
  /** Step status codes (PENDING, RUNNING, ...). */
  readonly status: number[];
  /** Attempts started per step (drivers whose attempts are counted elsewhere may overwrite). */
  readonly attempts: number[];
  readonly outputs: unknown[];
  readonly errors: Array<E | undefined> = NONE;
  /** Why each skipped step was skipped (undefined for steps that were not). */
  readonly skipReasons: Array<SkipReason | undefined> = NONE;
  /** For steps that skipped themselves: the reason they gave. */
  readonly skipMessages: Array<string | undefined> = NONE;
  /** Steps started and not yet ended. */
  running = 0;
  /** Steps in a final state. */
  settled = 0;

  // Plain arrays, not typed ones: a typed array's off-heap buffer makes short runs GC-heavy.
  /**
   * Per step two countdowns, in one array (one per run instead of two): at [i] the needs of step i
   * not yet ended; at [n + i] the packed `ended` counter of trigger-rules.ts (needs that ended
   * other than succeeded, plus a large unit for each of those that counts as failed).
   */
  private readonly counts: number[];
  private ready: number[] | undefined;
  private readyHead = 0;
  private failedSteps = 0;
  private failFastTriggered = false;
  private abortStatus: RunStatus | undefined;
  private abortError: E | undefined;

  constructor(
    private readonly shape: DagShape,
    private readonly failFast: boolean,
    private readonly observer?: RunStateObserver,
  ) {
    const n = shape.needs.length;
    this.n = n;
    // Copies of the shape's packed template (PENDING is 0): cheaper than filling new arrays.
    const initial = shape.initialCounts;
    this.status = initial.slice(n);
    this.attempts = initial.slice(n);
    this.outputs = new Array(n);
    this.counts = initial.slice();
  }

  /** The array behind `errors` / `skipReasons` / `skipMessages`, made on its first write. */
  private own<K extends 'errors' | 'skipReasons' | 'skipMessages'>(key: K): this[K] {
    const array = this[key];
    if (array !== NONE) return array;
    const made = new Array(this.n) as this[K];
    (this as { [key in K]: this[K] })[key] = made;
    return made;
  }

  /**
   * Before `seed`: these steps succeeded in an earlier run and keep those outputs (attempts stay
   * 0); their dependants are decided as if they had just succeeded. Upstream-closed (see reuse.ts).
   */
  reuse(steps: readonly number[], outputs: readonly unknown[]): void {
    for (let k = 0; k < steps.length; k++) {
      const i = steps[k] as number;
      this.status[i] = SUCCEEDED;
      this.outputs[i] = outputs[k];
      this.settled++;
    }
    for (let k = 0; k < steps.length; k++) this.release(steps[k] as number);
  }

  /** Queues the steps that need nothing, in declaration order (after any released by `reuse`). */
  seed(): void {
    const roots = this.shape.roots;
    // Steps `reuse` released are already queued: the roots go first.
    const released = this.ready;
    const disabled = this.shape.disabled;
    if (disabled === undefined) {
      this.ready = released === undefined ? roots.slice() : roots.concat(released);
      return;
    }
    this.ready = [];
    for (const root of roots) {
      if (disabled[root] === true && this.status[root] === PENDING) {
        this.skip(root, 'disabled');
        this.release(root);
      } else {
        this.ready.push(root);
      }
    }
    if (released !== undefined) for (const i of released) this.ready.push(i);
  }

  /**
   * The next step to start, or -1 when none may start now (nothing ready, `limit` steps already
   * running, or the run was stopped). Steps queued behind a fail-fast are skipped here.
   */
  next(limit: number): number {
    const ready = this.ready;
    if (ready === undefined) return -1;
    const rules = this.shape.rules;
    while (this.readyHead < ready.length && this.running < limit) {
      const i = ready[this.readyHead++] as number;
      // A step queued for its retry may have been cancelled (fail-fast) while it waited here.
      if (this.status[i] !== PENDING) continue;
      const rule = rules[i];
      // A stopped run starts only its `always` steps (abort cancelled everything else).
      if (this.abortStatus !== undefined && rule !== RULE_ALWAYS) continue;
      if (this.failFastTriggered && (rule === RULE_ALL_SUCCEEDED || rule === RULE_NONE_FAILED || rule === RULE_ONE_SUCCEEDED)) {
        this.skip(i, 'fail-fast');
        this.release(i);
        continue;
      }
      return i;
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > ready.length) {
      ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
    return -1;
  }

  /** Step i starts an attempt; returns the attempt number (1 for the first). */
  start(i: number): number {
    this.status[i] = RUNNING;
    this.running++;
    return ++this.attempts[i]!;
  }

  /** Step i succeeded: record it and decide what its dependants do. */
  succeed(i: number, output: unknown): void {
    this.running--;
    this.status[i] = SUCCEEDED;
    this.outputs[i] = output;
    this.settled++;
    this.release(i);
  }

  /**
   * Step i skipped itself while running (`ctx.skip(message)`): skipped on purpose, like a trigger
   * rule, so its dependants see a skip, not a failure. Decides its dependants.
   */
  skipSelf(i: number, message: string): void {
    this.running--;
    this.own('skipMessages')[i] = message;
    this.skip(i, 'self');
    this.release(i);
  }

  /** Whether a failed attempt may be retried at all (its policy decides the rest). */
  get mayRetry(): boolean {
    return this.abortStatus === undefined && !this.failFastTriggered;
  }

  /** Step i's attempt failed and it will be tried again: pending until `requeue`. */
  awaitRetry(i: number): void {
    this.running--;
    this.status[i] = PENDING;
  }

  /** Step i's retry delay is over: it may start again. */
  requeue(i: number): void {
    if (this.status[i] === PENDING) this.queue(i);
  }

  private queue(i: number): void {
    if (this.ready === undefined) this.ready = [i];
    else this.ready.push(i);
  }

  /**
   * Step i failed for good. Returns true when this failure starts fail-fast: the driver then calls
   * `cancelInFlight(false, ...)`. Either way the driver calls `release(i)` next.
   */
  fail(i: number, error: E): boolean {
    this.running--;
    this.status[i] = FAILED;
    this.own('errors')[i] = error;
    this.settled++;
    this.failedSteps++;
    if (this.failFast && !this.failFastTriggered) {
      this.failFastTriggered = true;
      return true;
    }
    return false;
  }

  /**
   * Marks running and retry-waiting steps cancelled (with `stopAll`, never-started ones too),
   * asking `cancel` for each one's error. Without `stopAll` (fail-fast) their dependants are then
   * decided by the trigger rules. `always` steps are never cancelled: with `stopAll` they still run
   * once their needs have ended.
   */
  cancelInFlight(stopAll: boolean, cancel: CancelStep<E>): void {
    const rules = this.shape.rules;
    let cancelled: number[] | undefined;
    let alwaysLeft = false;
    for (let i = 0; i < this.n; i++) {
      const state = this.status[i];
      const waitingRetry = state === PENDING && (this.attempts[i] as number) > 0;
      if (state !== RUNNING && !waitingRetry && !(stopAll && state === PENDING)) continue;
      if (rules[i] === RULE_ALWAYS) {
        alwaysLeft = true;
        continue;
      }
      const error = cancel(i, state === RUNNING ? 'running' : waitingRetry ? 'retry-wait' : 'pending');
      if (state === RUNNING) this.running--;
      this.status[i] = CANCELLED;
      this.own('errors')[i] = error;
      this.settled++;
      if (!stopAll) this.release(i);
      else (cancelled ??= []).push(i);
    }
    // Stopped with `always` steps left: they follow their needs' ends (released only now, so that
    // no other step is decided while the loop above is still cancelling).
    if (alwaysLeft && cancelled !== undefined) for (const i of cancelled) this.release(i);
  }

  /**
   * Stops the whole run now (cancelled from outside, or the flow's deadline): nothing new starts
   * and every unfinished step is cancelled, except `always` steps, which still run once their
   * needs have ended. Returns false if the run was already stopped. The driver then pumps: the
   * run is `complete` at once, or when its `always` steps have ended.
   */
  abort(status: RunStatus, error: E, cancel: CancelStep<E>): boolean {
    if (this.abortStatus !== undefined) return false;
    this.abortStatus = status;
    this.abortError = error;
    this.cancelInFlight(true, cancel);
    return true;
  }

  /** True once the run was stopped as a whole (cancelled or timed out). */
  get stopped(): boolean {
    return this.abortStatus !== undefined;
  }

  /** The error the run was stopped with. */
  get stopReason(): E | undefined {
    return this.abortError;
  }

  /** Every step has ended (in a stopped run too): time to finish. */
  get complete(): boolean {
    return this.settled === this.n;
  }

  /** Whether step i runs even in a stopped run (an `always` step), so its signal is not aborted. */
  runsWhenStopped(i: number): boolean {
    return this.shape.rules[i] === RULE_ALWAYS;
  }

  isSucceeded(i: number): boolean {
    return this.status[i] === SUCCEEDED;
  }

  /**
   * The run's status and error. The error is the stop reason, or else the error of the first
   * failed step in declaration order — the same on every backend, whatever order steps ended in.
   */
  outcome(): { status: RunStatus; error: E | undefined } {
    if (this.abortStatus !== undefined) return { status: this.abortStatus, error: this.abortError };
    if (this.failedSteps === 0 || (this.shape.statusFromLeaves && this.leavesSucceeded())) return { status: 'succeeded', error: undefined };
    for (let i = 0; i < this.n; i++) {
      if (this.status[i] === FAILED) return { status: 'failed', error: this.errors[i] };
    }
    return { status: 'failed', error: undefined };
  }

  /** statusFrom 'leaves': every final step succeeded or was skipped on purpose (SKIPPED, not SKIPPED_UPSTREAM). */
  private leavesSucceeded(): boolean {
    const dependants = this.shape.dependants;
    for (let i = 0; i < this.n; i++) {
      if ((dependants[i] as readonly number[]).length !== 0) continue;
      const state = this.status[i];
      if (state !== SUCCEEDED && state !== SKIPPED) return false;
    }
    return true;
  }

  /**
   * Outputs of step i's succeeded needs, keyed by step id: what `ctx.results` holds. A
   * prototype-less object (see FAST_RESULTS_MAX_STEPS for how it is made).
   */
  neededResults(i: number, ids: readonly string[]): Record<string, unknown> {
    const needs = this.shape.needs[i] as readonly number[];
    // Prototype-less before the first key is set: no setter on Object.prototype can see the writes.
    const results: Record<string, unknown> = this.n <= FAST_RESULTS_MAX_STEPS ? Object.setPrototypeOf({}, null) : Object.create(null);
    for (let k = 0; k < needs.length; k++) {
      const need = needs[k] as number;
      if (this.status[need] === SUCCEEDED) results[ids[need] as string] = this.outputs[need];
    }
    return results;
  }

  /**
   * Outputs of succeeded steps by id: every one (`all`, what a flow's `output()` receives) or only
   * the final ones, those nothing needs (a flow's default output).
   */
  succeededOutputs(ids: readonly string[], all: boolean): Record<string, unknown> {
    const results: Record<string, unknown> = {};
    const dependants = this.shape.dependants;
    for (let i = 0; i < this.n; i++) {
      if (this.status[i] !== SUCCEEDED) continue;
      if (all || (dependants[i] as readonly number[]).length === 0) results[ids[i] as string] = this.outputs[i];
    }
    return results;
  }

  /** Step j has ended: decide, in one pass without recursion, what its dependants do. */
  release(from: number): void {
    const dependants = this.shape.dependants;
    const rules = this.shape.rules;
    const counts = this.counts;
    const n = this.n;
    // Steps skipped on the way, whose own dependants are decided next: made only if one is.
    let stack: number[] | undefined;
    let j = from;
    for (;;) {
      const add = endedWeight(this.status[j] as number);
      const deps = dependants[j] as readonly number[];
      for (let k = 0; k < deps.length; k++) {
        const d = deps[k] as number;
        const ended = (counts[n + d] as number) + add;
        counts[n + d] = ended;
        const left = --counts[d]!;
        // left < 0: already started early (see below); only PENDING steps are still undecided.
        if (left < 0 || this.status[d] !== PENDING) continue;
        const decision = decide(rules[d] as number, left, ended, this.shape.needCounts[d] as number);
        if (decision === WAIT) continue;
        if (decision === RUN && this.shape.disabled?.[d] === true) {
          this.skip(d, 'disabled');
          (stack ??= []).push(d);
        } else if (decision === RUN) {
          this.queue(d);
          // Decided before its last needs ended (any-failed, one-succeeded): push its countdown
          // below zero so that those later ends do not decide (and queue) it again.
          if (left !== 0) counts[d] = -1 - n;
        } else {
          this.skip(d, decision === SKIP_UPSTREAM_FAILED ? 'upstream-failed' : 'trigger-rule');
          (stack ??= []).push(d);
        }
      }
      if (stack === undefined || stack.length === 0) return;
      j = stack.pop() as number;
    }
  }

  private skip(i: number, reason: SkipReason): void {
    // Skipped because something upstream failed counts as failed for any-failed handlers downstream;
    // a disabled step is skipped on purpose, like a trigger rule.
    this.status[i] = reason === 'trigger-rule' || reason === 'disabled' || reason === 'self' ? SKIPPED : SKIPPED_UPSTREAM;
    this.own('skipReasons')[i] = reason;
    this.settled++;
    this.observer?.stepSkipped?.(i, reason);
  }
}
