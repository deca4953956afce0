import type { EngineEventOf, EventBus, Logger, RunResult, StepResult } from '@cascadence/core';
import type { SqlDriver } from './driver';
import type { ProcessIdentity } from './owner';
import type { RecordedError } from './records';
import { recordItems } from './map-items';
import { encodeSteps } from './steps-document';
import { write, type RunRow, type StoredAttempt, type StoredStep } from './store';
import { recordError, recordValue } from './values';

export interface RecorderSettings {
  maxValueBytes: number;
  /** Record inputs and outputs (off: only that they existed). */
  values: boolean;
  /** Pending changes are written at most this long after they happen. */
  flushIntervalMs: number;
  /** A batch that cannot be written is retried in the background this long, then counted as lost. */
  retryForMs: number;
  logger: Logger;
}

/** A run still in this recorder's hands: in progress, or ended and not yet written. */
interface LiveRun {
  row: RunRow;
  /** The flow's name (its own steps' events carry it); undefined for a lone task. */
  flow: string | undefined;
  steps: Map<string, StoredStep>;
  /** Start of the current retry attempt of each of the run's own steps (made on first use). */
  attemptStarted: Map<string, number> | undefined;
  /** Start of each nested-flow step attempt in progress, by `flow\0step\0attempt` (made on first use). */
  attemptStarts: Map<string, number> | undefined;
  inner: StoredAttempt[] | undefined;
  /**
   * The steps document of an ended run, made at its end: a batch then holds one string per run
   * waiting to be written rather than its step objects (young-generation GC copies far less).
   */
  stepsText: string | undefined;
  /** When the steps document was last written (a running run rewrites it at most every second). */
  stepsWrittenAt: number;
  stepsChanged: boolean;
  /** The run row itself changed (started, ended) since it was last written. */
  rowChanged: boolean;
  /** The row exists in the store: later writes update it. */
  inserted: boolean;
}

/**
 * Runs changed since the last flush that trigger a flush as soon as the current macrotask ends
 * (setImmediate), not inside the run event that made the batch full: a scheduler's dispatch
 * slice finishes first, and a lone task started in it has ended by then, so its row is written
 * once, final, instead of inserted as running and updated. Large batches matter: a bigger batch
 * dirties fewer index pages per run (ids given by callers or Temporal may be random).
 */
export const MAX_DIRTY_RUNS = 5000;
/**
 * Runs changed since the last flush that trigger a flush at once, inside the event: back-to-back
 * runs resolved in microtasks never let a timer or an immediate fire, and memory must stay bounded.
 */
export const MAX_DIRTY_RUNS_NOW = 2 * MAX_DIRTY_RUNS;
/**
 * How often a running flow's steps document may be rewritten: 2 ms per step it holds, at most
 * once a second. Rewriting costs in proportion to the document, so this bounds the write cost
 * per second of any flow, while a small flow's progress goes out with every flush (a 20-step
 * flow every 40 ms: live readers such as the dashboard see a step end within the flush interval).
 */
const PROGRESS_MS_PER_STEP = 2;
const PROGRESS_EVERY_MS_MAX = 1000;

function progressEveryMs(run: LiveRun): number {
  return Math.min(PROGRESS_EVERY_MS_MAX, run.steps.size * PROGRESS_MS_PER_STEP);
}

/**
 * Turns engine and backend events into history rows. A run's steps live in memory as plain
 * objects and are written with the run as one JSON document, in batches: one transaction per
 * flush (every `flushIntervalMs`, or at once when many runs changed). A failed write never fails
 * a run: it is retried once on the next flush, then counted as lost and reported.
 */
export class Recorder {
  private readonly live = new Map<string, LiveRun>();
  private dirty = new Set<LiveRun>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private flushing: Promise<void> | undefined;
  private lost = 0;
  /** When the current run of failed writes began (undefined: the last write worked). */
  private failingSince: number | undefined;
  private lastStamp = 0;
  private readonly reported = new Set<string>();
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly driver: SqlDriver,
    private readonly owner: ProcessIdentity,
    private readonly settings: RecorderSettings,
  ) {}

  /** Runs whose changes could not be written (disk full, locked beyond the busy timeout, ...). */
  get lostChanges(): number {
    return this.lost;
  }

  /** Records every run `source` executes; returns a function that stops recording it. */
  attach(source: { readonly name: string; readonly events?: EventBus | undefined }): () => void {
    const events = source.events;
    if (events === undefined) return () => undefined;
    const backend = source.name;
    const offs = [
      events.on('run:start', (e) => this.runStart(e, backend)),
      events.on('run:end', (e) => this.runEnd(e)),
      // The two events every step emits come through the allocation-free observer hooks.
      events.observe({
        stepStart: (flow, step, _task, attempt, runId) => this.stepStart(runId, flow, step, attempt, clock()),
        stepSuccess: (flow, step, _task, attempt, _durationMs, runId, output) =>
          this.stepEnd(runId, flow, step, attempt, clock(), 'succeeded', undefined, output),
      }),
      events.on('step:retry', (e) => this.stepEnd(e.runId, e.flow, e.step, e.attempt, e.at, 'retried', e.error, undefined)),
      events.on('step:failure', (e) => this.stepEnd(e.runId, e.flow, e.step, e.attempt, e.at, e.status, e.error, undefined)),
      events.on('step:skip', (e) => this.stepSkip(e)),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /** Ids of the runs being recorded that have not ended. */
  unfinishedRunIds(): string[] {
    return [...this.live.keys()];
  }

  /** Called after each flush that wrote something (in-process live readers). */
  onFlush(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private runStart(e: EngineEventOf<'run:start'>, backend: string): void {
    if (e.parentFlow !== undefined) return;
    const trigger = e.trigger ?? { kind: 'api' as const };
    const row: RunRow = {
      id: e.runId,
      task: e.task,
      kind: e.kind,
      backend,
      workflowId: e.external?.workflowId,
      workflowRunId: e.external?.workflowRunId,
      trigger: trigger.kind,
      schedule: trigger.kind === 'schedule' ? trigger.schedule : undefined,
      retryOf: trigger.kind === 'retry' ? trigger.retryOf : undefined,
      ownerId: this.owner.id,
      status: 'running',
      startedAt: e.at,
      input: recordValue(e.input, this.settings.maxValueBytes, this.settings.values),
    };
    const run: LiveRun = {
      row,
      flow: e.kind === 'flow' ? e.task : undefined,
      steps: new Map(),
      attemptStarted: undefined,
      attemptStarts: undefined,
      inner: undefined,
      stepsText: undefined,
      stepsWrittenAt: 0,
      stepsChanged: true,
      rowChanged: true,
      inserted: false,
    };
    this.live.set(e.runId, run);
    this.touch(run);
  }

  private stepStart(runId: string, flow: string | undefined, id: string, attempt: number, at: number): void {
    const run = this.live.get(runId);
    if (run === undefined) return;
    if (flow !== run.flow) {
      (run.attemptStarts ??= new Map()).set(`${flow ?? ''}\0${id}\0${attempt}`, at);
      return;
    }
    const step = run.steps.get(id);
    if (step === undefined) {
      run.steps.set(id, { step: id, status: 'running', attempts: attempt, startedAt: at, output: NONE });
    } else {
      step.status = 'running';
      step.attempts = attempt;
    }
    // A first attempt starts with its step (step.startedAt); later ones are remembered here.
    if (attempt > 1) (run.attemptStarted ??= new Map()).set(id, at);
    run.stepsChanged = true;
    this.touch(run);
  }

  private stepEnd(
    runId: string,
    flow: string | undefined,
    id: string,
    attemptNo: number,
    at: number,
    status: StoredAttempt['status'],
    error: Error | undefined,
    output: unknown,
  ): void {
    const run = this.live.get(runId);
    if (run === undefined) return;
    let attemptStart: number;
    if (flow !== run.flow) {
      const key = `${flow ?? ''}\0${id}\0${attemptNo}`;
      attemptStart = run.attemptStarts?.get(key) ?? at;
      run.attemptStarts?.delete(key);
    } else {
      attemptStart = (attemptNo > 1 ? run.attemptStarted?.get(id) : run.steps.get(id)?.startedAt) ?? at;
    }
    const recordedError: RecordedError | undefined = error === undefined ? undefined : recordError(error, this.settings.maxValueBytes);
    if (flow !== run.flow) {
      // A nested flow's step: kept as an attempt under its flow's name.
      const attempt: StoredAttempt = {
        flow: flow as string,
        step: id,
        attempt: attemptNo,
        status,
        startedAt: attemptStart,
        durationMs: at - attemptStart,
      };
      if (recordedError !== undefined) attempt.error = recordedError;
      (run.inner ??= []).push(attempt);
    } else {
      let step = run.steps.get(id);
      if (step === undefined) {
        step = { step: id, status: 'running', attempts: attemptNo, startedAt: attemptStart, output: NONE };
        run.steps.set(id, step);
      }
      // A retried step keeps every attempt; a step tried once is its own attempt.
      if (status === 'retried' || step.tries !== undefined) {
        const attempt: StoredAttempt = { attempt: attemptNo, status, startedAt: attemptStart, durationMs: at - attemptStart };
        if (recordedError !== undefined) attempt.error = recordedError;
        (step.tries ??= []).push(attempt);
      }
      step.attempts = attemptNo;
      if (status !== 'retried') {
        step.status = status === 'succeeded' ? 'succeeded' : status === 'cancelled' ? 'cancelled' : 'failed';
        step.durationMs = at - (step.startedAt as number);
        if (recordedError !== undefined) step.error = recordedError;
        if (status === 'succeeded') step.output = recordValue(output, this.settings.maxValueBytes, this.settings.values);
      }
    }
    run.stepsChanged = true;
    this.touch(run);
  }

  private stepSkip(e: EngineEventOf<'step:skip'>): void {
    const run = this.live.get(e.runId);
    if (run === undefined || e.flow !== run.flow) return;
    const started = run.steps.get(e.step);
    if (e.reason === 'self' && started?.startedAt !== undefined) {
      // ctx.skip(): the step ran (its attempt and start time stay) and ended skipped.
      started.status = 'skipped';
      started.skipReason = e.reason;
      if (e.message !== undefined) started.skipMessage = e.message;
      started.attempts = e.attempt ?? started.attempts;
      started.durationMs = e.at - started.startedAt;
    } else {
      const skipped: StoredStep = { step: e.step, status: 'skipped', attempts: 0, skipReason: e.reason, output: NONE };
      if (e.message !== undefined) skipped.skipMessage = e.message;
      run.steps.set(e.step, skipped);
    }
    run.stepsChanged = true;
    this.touch(run);
  }

  private runEnd(e: EngineEventOf<'run:end'>): void {
    if (e.parentFlow !== undefined) return;
    const run = this.live.get(e.runId);
    if (run === undefined) return;
    this.live.delete(e.runId);
    const result: RunResult | undefined = e.result;
    const steps = result?.steps ?? {};
    let failedStep: string | undefined;
    for (const id of Object.keys(steps)) {
      const step = steps[id] as StepResult;
      if (failedStep === undefined && step.status === 'failed' && run.flow !== undefined) failedStep = id;
      // Steps no event told about: never started (cancelled while pending), reused, or run elsewhere (Temporal).
      let stored = run.steps.get(id);
      if (stored === undefined) run.steps.set(id, (stored = this.stepFromResult(id, step)));
      // Only the result has a map step's items (events would cost a write per item), and a remote run's skip message.
      if (step.items !== undefined) stored.items = recordItems(step.items, this.settings.maxValueBytes, this.settings.values);
      if (step.skipMessage !== undefined) stored.skipMessage = step.skipMessage;
    }
    run.row.status = e.status;
    run.row.error = recordError(e.error, this.settings.maxValueBytes);
    run.row.failedStep = failedStep;
    run.row.endedAt = e.at;
    run.row.durationMs = e.durationMs;
    run.stepsChanged = true;
    run.rowChanged = true;
    run.attemptStarts = undefined;
    run.attemptStarted = undefined;
    // Ended: no event reaches it any more (it left `live`), so its document is final.
    run.stepsText = flat(stepsJson(run));
    run.steps = ENDED;
    run.inner = undefined;
    this.touch(run);
  }

  private stepFromResult(id: string, step: StepResult): StoredStep {
    const maxBytes = this.settings.maxValueBytes;
    const stored: StoredStep = {
      step: id,
      status: step.status,
      attempts: step.attempts,
      startedAt: step.startedAt,
      durationMs: step.durationMs,
      output: step.status === 'succeeded' ? recordValue(step.output, maxBytes, this.settings.values) : NONE,
    };
    const error = recordError(step.error, maxBytes);
    if (error !== undefined) stored.error = error;
    if (step.status === 'succeeded' && step.attempts === 0) stored.reused = true;
    return stored;
  }

  private touch(run: LiveRun): void {
    this.dirty.add(run);
    const size = this.dirty.size;
    if (size < MAX_DIRTY_RUNS) this.schedule(this.settings.flushIntervalMs);
    // Back-to-back runs resolved in microtasks never let a timer or an immediate fire: write at once.
    else if (size >= MAX_DIRTY_RUNS_NOW && this.flushing === undefined) void this.flush(false);
    else if (this.immediate === undefined) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        void this.flush(false);
      });
      this.immediate.unref?.();
    }
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush(false);
    }, ms);
    // A pending flush must not keep a finished process alive; close() flushes what is left.
    this.timer.unref?.();
  }

  /**
   * Writes what is pending; `all` also writes step progress of running runs that would otherwise
   * wait for its once-a-second turn. Resolves when written (or counted as lost).
   */
  async flush(all = false, final = false): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.dirty.size === 0) return;
    const batch = this.dirty;
    this.dirty = new Set();
    this.flushing = this.write(batch, all, final);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    for (const listener of this.changeListeners) listener();
  }

  private async write(batch: Set<LiveRun>, all: boolean, final: boolean): Promise<void> {
    // Stamped at write time, so live readers see changes in commit order (see History.subscribe).
    const now = Date.now();
    const stamp = (this.lastStamp = now > this.lastStamp ? now : this.lastStamp + 0.001);
    const statements = [];
    const written: LiveRun[] = [];
    for (const run of inTaskOrder(batch)) {
      const ended = run.row.status !== 'running';
      const every = progressEveryMs(run);
      const stepsDue = run.stepsChanged && (all || ended || run.stepsWrittenAt === 0 || now - run.stepsWrittenAt >= every);
      if (!stepsDue && !run.rowChanged) {
        // Only step progress of a big running flow: it waits for its turn (see progressEveryMs).
        this.dirty.add(run);
        this.schedule(every - (now - run.stepsWrittenAt));
        continue;
      }
      let steps: string | undefined;
      if (stepsDue) {
        steps = stepsJson(run);
        run.stepsWrittenAt = now;
        run.stepsChanged = false;
      }
      run.rowChanged = false;
      statements.push(run.inserted ? write.updateRun(run.row, steps, stamp) : write.insertRun(run.row, steps, stamp));
      written.push(run);
    }
    if (statements.length === 0) return;
    try {
      await this.driver.batch(statements);
      for (const run of written) run.inserted = true;
      this.failingSince = undefined;
    } catch (error) {
      this.failingSince ??= now;
      if (!final && now - this.failingSince < this.settings.retryForMs) {
        // Kept for a later flush: a lock held by another process for a while passes.
        for (const run of written) {
          run.stepsChanged = true;
          run.rowChanged = true;
          this.dirty.add(run);
        }
        this.schedule(Math.min(1000, this.settings.retryForMs));
        this.report(error, 0);
        return;
      }
      this.lost += written.length;
      this.report(error, written.length);
    }
  }

  private report(error: unknown, lost: number): void {
    const message = error instanceof Error ? error.message : String(error);
    const code = String((error as { code?: unknown })?.code ?? message);
    if (this.reported.has(code) && lost === 0) return;
    this.reported.add(code);
    this.settings.logger.warn(
      lost === 0
        ? `history: could not write to ${this.driver.where} (${message}); will try again`
        : `history: ${lost} run change(s) could not be written to ${this.driver.where} and are lost (${message}); the runs themselves are unaffected`,
    );
  }
}

const timeOrigin = performance.timeOrigin;
/** Epoch ms on the engine's clock (its event `at`s are timeOrigin + performance.now()). */
const clock = (): number => timeOrigin + performance.now();

const NONE = Object.freeze({ state: 'none' }) as StoredStep['output'];

/** The steps of every ended run (their document is made): never written to. */
const ENDED: Map<string, StoredStep> = new Map();

/**
 * A batch's runs ordered by task name. Each run adds an entry to the (task, started_at, id) index,
 * and a tick of many tasks adds one per task all over it: SQLite inserts those faster in key order
 * (5,000-run batches of 10,000 tasks fired as `job-0`..`job-9999`: 8.6 → 7.5 µs a row; fired in a
 * shuffled order: 10.5 → 10.1). Sorting an already sorted batch is one pass.
 */
function inTaskOrder(batch: Set<LiveRun>): LiveRun[] {
  return [...batch].sort(byTask);
}

function byTask(a: LiveRun, b: LiveRun): number {
  const x = a.row.task;
  const y = b.row.task;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The string flattened: built by concatenation it is a tree of a dozen pieces, and an ended run
 * waits up to a flush interval in the batch (young-generation GC then copies every piece).
 * Reading a character makes V8 flatten it in place; SQLite would have flattened it anyway.
 */
function flat(text: string): string {
  text.charCodeAt(text.length >> 1);
  return text;
}

function stepsJson(run: LiveRun): string {
  if (run.stepsText !== undefined) return run.stepsText;
  return encodeSteps(run.steps.values(), run.inner, run.row.startedAt);
}
