/**
 * A started run as the client sees it: its result (from the workflow's summary, in either form),
 * cancellation, termination, and its description with live progress from the state query.
 */
import {
  CascadenceError,
  ErrorCode,
  type EventBus,
  type RunEndEvent,
  type RunResult,
  type RunStartEvent,
  type RunTracer,
} from '@cascadence/core';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { TemporalBackend } from './backend';
import { TemporalErrorCode } from './errors';
import { syntheticSummary, toRunResult } from './result';
import { plainSummary, type CompactSummary } from './summary-codec';
import { CANCEL_REASON_SIGNAL, RUN_FAILED_TYPE, STATE_QUERY, type RunSummary, type WireError, type WireGraph } from './wire';

/** A started Cascadence run on Temporal. */
export interface TemporalRunHandle<Output = unknown> {
  readonly workflowId: string;
  /** The Cascadence run id (`ctx.runId`, RunResult.runId). */
  readonly runId: string;
  /** Temporal's run id of the first execution. */
  readonly temporalRunId: string | undefined;
  /** Resolves to the RunResult once the workflow ends (a failed run resolves too). */
  result(): Promise<RunResult<Output>>;
  /**
   * Requests cancellation: running steps are aborted, no new ones start. A reason (an Error or
   * any value, like AbortSignal.reason) ends up in the cancellation errors, as with the local engine.
   */
  cancel(reason?: unknown): Promise<void>;
  /** Ends the workflow at once, without cancelling its steps (for runs no worker ever picked up). */
  terminate(reason: string): Promise<void>;
  /** Temporal's description of the execution, plus live step states while it runs. */
  describe(): Promise<TemporalRunDescription>;
}

export interface TemporalRunDescription {
  workflowId: string;
  temporalRunId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, ... */
  status: string;
  taskQueue: string;
  startTime: Date;
  closeTime: Date | undefined;
  historyLength: number;
  /** Step states from the workflow (undefined if no worker answered the query in time). */
  progress: RunSummary | undefined;
  raw: WorkflowExecutionDescription;
}

/** The tracer's scope of one run started from this client, and how to end it. */
export interface RunTrace {
  readonly tracer: RunTracer;
  readonly scope: unknown;
  end(event: RunEndEvent): void;
}

export function startTrace(events: EventBus, tracer: RunTracer, event: RunStartEvent): RunTrace | undefined {
  let scope: unknown;
  try {
    scope = tracer.startRun(event, undefined);
  } catch (error) {
    events.tracerFailed(error, event);
    return undefined;
  }
  if (scope === undefined) return undefined;
  let ended = false;
  return {
    tracer,
    scope,
    end(end: RunEndEvent): void {
      if (ended) return;
      ended = true;
      try {
        tracer.endRun(scope, end);
      } catch (error) {
        events.tracerFailed(error, end);
      }
    },
  };
}

/** The words core's CancelledError adds after "was cancelled: " for a given abort reason. */
export function cancelReasonText(reason: unknown): string {
  if (reason === undefined || reason === null) return '';
  if (CascadenceError.isInstance(reason)) return reason.message;
  if (typeof reason === 'object' && typeof (reason as Error).message === 'string' && typeof (reason as Error).name === 'string') {
    // AbortController.abort() with no argument gives a DOMException named AbortError.
    return (reason as Error).name === 'AbortError' ? '' : (reason as Error).message;
  }
  if (typeof reason === 'string') return JSON.stringify(reason.length > 200 ? `${reason.slice(0, 200)}…` : reason);
  if (typeof reason !== 'object') return String(reason);
  try {
    const json = JSON.stringify(reason);
    return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    return Object.prototype.toString.call(reason);
  }
}

export function withRpcDeadline<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + Math.max(ms, 1000) * 2, fn);
}

export class RunHandle<Output> implements TemporalRunHandle<Output> {
  private resultPromise: Promise<RunResult<Output>> | undefined;

  constructor(
    private readonly backend: TemporalBackend,
    private readonly client: Client,
    private readonly handle: WorkflowHandle,
    private knownRunId: string,
    private readonly graph: WireGraph | undefined,
    private readonly kind: 'task' | 'flow',
    private readonly startedAt: number,
    private readonly emitEvents: boolean,
    private readonly traced?: RunTrace,
  ) {}

  get workflowId(): string {
    return this.handle.workflowId;
  }

  get runId(): string {
    return this.knownRunId;
  }

  get temporalRunId(): string | undefined {
    return (this.handle as { firstExecutionRunId?: string }).firstExecutionRunId;
  }

  result(): Promise<RunResult<Output>> {
    this.resultPromise ??= this.waitForResult();
    return this.resultPromise;
  }

  private async waitForResult(): Promise<RunResult<Output>> {
    let summary: RunSummary;
    try {
      summary = plainSummary((await this.handle.result()) as RunSummary | CompactSummary);
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw this.backend.rpcError(error, `get the result of workflow "${this.workflowId}"`);
      summary = await this.summaryOfFailure(error);
    }
    this.knownRunId ||= summary.runId;
    const result = toRunResult<Output>(summary);
    const events = this.backend.events;
    if (this.emitEvents && (events.active || this.traced !== undefined)) {
      const event: RunEndEvent = {
        type: 'run:end',
        runId: result.runId,
        at: Date.now(),
        task: result.task,
        kind: this.kind,
        parentFlow: undefined,
        status: result.status,
        durationMs: result.durationMs,
        error: result.error,
        result: result as RunResult,
      };
      events.emit(event);
      this.traced?.end(event);
    }
    return result;
  }

  private async summaryOfFailure(error: WorkflowFailedError): Promise<RunSummary> {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type === RUN_FAILED_TYPE && cause.details?.[0] !== undefined) {
      return plainSummary(cause.details[0] as RunSummary | CompactSummary);
    }
    const task = this.graph?.name ?? this.workflowId;
    const elapsed = Date.now() - this.startedAt;
    if (cause instanceof CancelledFailure) {
      // The workflow keeps its final summary behind the state query (cancellation carries no details).
      const state = await this.query();
      if (state !== undefined && state.status !== 'running') return state;
      const what = `${this.graph?.kind ?? this.kind} "${task}"`;
      return syntheticSummary(
        this.knownRunId,
        task,
        this.graph,
        'cancelled',
        { name: 'CancelledError', code: ErrorCode.CANCELLED, message: `${what} was cancelled` },
        this.startedAt,
        elapsed,
      );
    }
    let wire: WireError;
    if (cause instanceof TerminatedFailure) {
      wire = {
        name: 'CascadenceError',
        code: TemporalErrorCode.WORKFLOW,
        message: `workflow "${this.workflowId}" was terminated${cause.message ? `: ${cause.message}` : ''}`,
      };
    } else if (cause instanceof TimeoutFailure) {
      wire = {
        name: 'CascadenceError',
        code: TemporalErrorCode.WORKFLOW,
        message: `workflow "${this.workflowId}" timed out (${cause.timeoutType ?? 'execution timeout'})`,
      };
    } else if (cause instanceof ApplicationFailure) {
      const code =
        cause.type !== undefined && cause.type !== null && cause.type.startsWith('CASCADENCE_') ? cause.type : TemporalErrorCode.WORKFLOW;
      wire = { name: 'CascadenceError', code, message: cause.message };
    } else {
      wire = {
        name: 'CascadenceError',
        code: TemporalErrorCode.WORKFLOW,
        message: `workflow "${this.workflowId}" failed: ${cause?.message ?? error.message}`,
      };
    }
    return syntheticSummary(this.knownRunId, task, this.graph, 'failed', wire, this.startedAt, elapsed);
  }

  private async query(): Promise<RunSummary | undefined> {
    try {
      return plainSummary(
        await this.client.connection.withDeadline(Date.now() + Math.max(this.backend.rpcTimeoutMs, 5000), () =>
          this.handle.query<RunSummary | CompactSummary>(STATE_QUERY),
        ),
      );
    } catch {
      return undefined;
    }
  }

  async cancel(reason?: unknown): Promise<void> {
    try {
      const text = cancelReasonText(reason);
      if (text !== '') {
        await withRpcDeadline(this.client, this.backend.rpcTimeoutMs, () => this.handle.signal(CANCEL_REASON_SIGNAL, text)).catch(
          () => undefined,
        );
      }
      await withRpcDeadline(this.client, this.backend.rpcTimeoutMs, () => this.handle.cancel());
    } catch (error) {
      throw this.backend.rpcError(error, `cancel workflow "${this.workflowId}"`);
    }
  }

  async terminate(reason: string): Promise<void> {
    try {
      await withRpcDeadline(this.client, this.backend.rpcTimeoutMs, () => this.handle.terminate(reason));
    } catch (error) {
      throw this.backend.rpcError(error, `terminate workflow "${this.workflowId}"`);
    }
  }

  async describe(): Promise<TemporalRunDescription> {
    let raw: WorkflowExecutionDescription;
    try {
      raw = await withRpcDeadline(this.client, this.backend.rpcTimeoutMs, () => this.handle.describe());
    } catch (error) {
      throw this.backend.rpcError(error, `describe workflow "${this.workflowId}"`);
    }
    return {
      workflowId: raw.workflowId,
      temporalRunId: raw.runId,
      status: raw.status.name,
      taskQueue: raw.taskQueue,
      startTime: raw.startTime,
      closeTime: raw.closeTime,
      historyLength: raw.historyLength,
      progress: await this.query(),
      raw,
    };
  }
}
