import type { EngineEventOf, EventBus, Logger, RunResult, StepResult } from '@cascadence/core';
import type { SqlDriver, Statement } from './driver';
import type { ProcessIdentity } from './owner';
import type { AttemptRecord, StepRecord } from './records';
import { write, type RunRow } from './store';
import { recordError, recordValue } from './values';

export interface RecorderSettings {
  maxValueBytes: number;
  /** Record inputs and outputs (off: only that they existed). */
  values: boolean;
  /** Pending changes are written at most this long after they happen. */
  flushIntervalMs: number;
  logger: Logger;
}

/** A top-level run being recorded: what step events need to know about it. */
interface LiveRun {
  row: RunRow;
  /** The flow's name (step events of its own steps carry it); undefined for a lone task. */
  flow: string | undefined;
  /** First attempt start per top-level step, for its step record. */
  stepStarts: Map<string, number>;
  /** Top-level steps already written from events (run:end fills in the others). */
  recordedSteps: Set<string>;
  /** Start of each attempt in progress, by attempt key. */
  attemptStarts: Map<string, number>;
}

/** Pending row writes that trigger an immediate flush. */
const MAX_PENDING = 2000;

/** Pending writes, coalesced by row: a short step's start and end become one upsert. */
type Pending = Map<string, Statement>;

/**
 * Turns engine and backend events into history rows, written in batches: one transaction per
 * flush (every `flushIntervalMs`, or sooner when many changes wait). A failed write never fails
 * a run: it is counted, reported once per reason, and retried once on the next flush.
 */
export class Recorder {
  private readonly live = new Map<string, LiveRun>();
  private pending: Pending = new Map();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private lost = 0;
  private readonly reported = new Set<string>();
  private readonly changeListeners = new Set<() => void>();
  private lastUpdate = 0;
  private failures = 0;

  constructor(
    private readonly driver: SqlDriver,
    private readonly owner: ProcessIdentity,
    private readonly settings: RecorderSettings,
  ) {}

  /** Changes that could not be written (disk full, locked beyond the busy timeout, ...). */
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
      events.on('step:start', (e) => this.stepStart(e)),
      events.on('step:success', (e) => this.stepEnd(e, 'succeeded', undefined)),
      events.on('step:retry', (e) => this.stepEnd(e, 'retried', e.error)),
      events.on('step:failure', (e) => this.stepEnd(e, e.status, e.error)),
      events.on('step:skip', (e) => this.stepSkip(e)),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /** Called after each flush that wrote something (in-process live readers). */
  onFlush(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Monotonic `updated_at` per process (readers also look back a little: see History.subscribe). */
  private stamp(): number {
    const now = Date.now();
    this.lastUpdate = now > this.lastUpdate ? now : this.lastUpdate + 0.001;
    return this.lastUpdate;
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
      updatedAt: this.stamp(),
    };
    this.live.set(e.runId, { row, flow: e.kind === 'flow' ? e.task : undefined, stepStarts: new Map(), recordedSteps: new Set(), attemptStarts: new Map() });
    this.queue(`r:${row.id}`, write.run(row));
  }

  private stepStart(e: EngineEventOf<'step:start'>): void {
    const run = this.live.get(e.runId);
    if (run === undefined) return;
    if (e.flow === run.flow && !run.stepStarts.has(e.step)) run.stepStarts.set(e.step, e.at);
    const attempt: AttemptRecord = { runId: e.runId, flow: e.flow, step: e.step, attempt: e.attempt, status: 'running', startedAt: e.at };
    const key = attemptKey(e);
    run.attemptStarts.set(key, e.at);
    this.queue(key, write.attempt(attempt));
  }

  private stepEnd(
    e: EngineEventOf<'step:success'> | EngineEventOf<'step:retry'> | EngineEventOf<'step:failure'>,
    status: AttemptRecord['status'],
    error: Error | undefined,
  ): void {
    const run = this.live.get(e.runId);
    if (run === undefined) return;
    const maxBytes = this.settings.maxValueBytes;
    const recordedError = recordError(error, maxBytes);
    const key = attemptKey(e);
    const attemptStart = run.attemptStarts.get(key) ?? e.at;
    run.attemptStarts.delete(key);
    const attempt: AttemptRecord = { runId: e.runId, flow: e.flow, step: e.step, attempt: e.attempt, status, startedAt: attemptStart, durationMs: e.at - attemptStart, error: recordedError };
    this.queue(key, write.attempt(attempt));
    if (e.flow !== run.flow || status === 'retried') return;
    const firstStart = run.stepStarts.get(e.step);
    const step: StepRecord = {
      runId: e.runId,
      step: e.step,
      status: status === 'succeeded' ? 'succeeded' : (status as 'failed' | 'cancelled'),
      attempts: e.attempt,
      startedAt: firstStart,
      durationMs: firstStart === undefined ? undefined : e.at - firstStart,
      error: recordedError,
      output: e.type === 'step:success' ? recordValue(e.output, maxBytes, this.settings.values) : { state: 'none' },
      reused: false,
    };
    run.recordedSteps.add(e.step);
    this.queue(`s:${e.runId}:${e.step}`, write.step(step));
  }

  private stepSkip(e: EngineEventOf<'step:skip'>): void {
    const run = this.live.get(e.runId);
    if (run === undefined || e.flow !== run.flow) return;
    run.recordedSteps.add(e.step);
    this.queue(`s:${e.runId}:${e.step}`, write.step({ runId: e.runId, step: e.step, status: 'skipped', attempts: 0, skipReason: e.reason, output: { state: 'none' }, reused: false }));
  }

  private runEnd(e: EngineEventOf<'run:end'>): void {
    if (e.parentFlow !== undefined) return;
    const run = this.live.get(e.runId);
    if (run === undefined) return;
    this.live.delete(e.runId);
    const result: RunResult = e.result;
    let failedStep: string | undefined;
    const steps = result.steps;
    for (const id of Object.keys(steps)) {
      const step = steps[id] as StepResult;
      if (failedStep === undefined && step.status === 'failed' && run.flow !== undefined) failedStep = id;
      // Steps no event told us about: never started (cancelled while pending), reused, or run elsewhere (Temporal).
      if (!run.recordedSteps.has(id)) this.queue(`s:${e.runId}:${id}`, write.step(this.stepFromResult(e.runId, id, step)));
    }
    const row: RunRow = {
      ...run.row,
      status: e.status,
      error: recordError(e.error, this.settings.maxValueBytes),
      failedStep,
      endedAt: e.at,
      durationMs: e.durationMs,
      updatedAt: this.stamp(),
    };
    this.queue(`r:${row.id}`, write.run(row));
  }

  private stepFromResult(runId: string, id: string, step: StepResult): StepRecord {
    const maxBytes = this.settings.maxValueBytes;
    return {
      runId,
      step: id,
      status: step.status,
      attempts: step.attempts,
      startedAt: step.startedAt,
      durationMs: step.durationMs,
      error: recordError(step.error, maxBytes),
      output: step.status === 'succeeded' ? recordValue(step.output, maxBytes, this.settings.values) : { state: 'none' },
      reused: step.status === 'succeeded' && step.attempts === 0,
    };
  }

  private queue(key: string, statement: Statement): void {
    // Re-inserting moves the key to the end, so a run row is written after rows queued before it.
    this.pending.delete(key);
    this.pending.set(key, statement);
    // Back-to-back runs resolved in microtasks never let a timer fire: write a full batch at once.
    if (this.pending.size >= MAX_PENDING && this.flushing === undefined) void this.flush();
    else this.scheduleFlush(this.settings.flushIntervalMs);
  }

  private scheduleFlush(ms: number): void {
    if (this.timer !== undefined) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    // A pending flush must not keep a finished process alive; close() flushes what is left.
    this.timer.unref?.();
  }

  /** Writes everything pending now; resolves when it is written (or counted as lost). */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    for (const listener of this.changeListeners) listener();
  }

  private async write(batch: Pending): Promise<void> {
    // Run rows get their updated_at at write time, so live readers see changes in commit order.
    const stamp = this.stamp();
    for (const [key, statement] of batch) {
      if (key.startsWith('r:')) (statement.params as unknown[])[statement.params.length - 1] = stamp;
    }
    try {
      await this.driver.batch([...batch.values()]);
      this.failures = 0;
    } catch (error) {
      if (this.failures++ === 0) {
        // Once more, merged with what queued meanwhile: a lock held briefly by another process passes.
        for (const [key, statement] of batch) if (!this.pending.has(key)) this.pending.set(key, statement);
        this.scheduleFlush(this.settings.flushIntervalMs * 10);
        this.report(error, 0);
        return;
      }
      this.failures = 0;
      this.lost += batch.size;
      this.report(error, batch.size);
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
        : `history: ${lost} change(s) could not be written to ${this.driver.where} and are lost (${message}); runs are unaffected`,
    );
  }

  /** Runs still in progress in this process (written as `running`). */
  get inFlight(): number {
    return this.live.size;
  }
}

function attemptKey(e: { runId: string; flow: string | undefined; step: string; attempt: number }): string {
  return `a:${e.runId}:${e.flow ?? ''}:${e.step}:${e.attempt}`;
}
