import {
  CascadenceError,
  ErrorCode,
  EventBus,
  isFlow,
  isTask,
  newRunId,
  type EventSource,
  type ExecutionBackend,
  type RunOptions,
  type RunEndEvent,
  type RunResult,
  type Runnable,
  type RunStartEvent,
  type StepResolver,
} from '@cascadence/core';
import type { Client, ClientInterceptors, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { cancelledMessage, dagShape, resolveReuse, runWhat, RULE_CODES, stepWhere } from '@cascadence/core/dag';
import { compileGraph } from './compile';
import { LazyClient, resolveConnectionOptions, type ResolvedConnectionOptions, type TemporalConnectionOptions } from './connection';
import { TemporalErrorCode, temporalError } from './errors';
import { toRunResult } from './result';
import { workflowPollers, type TaskQueuePoller } from './task-queue';
import { ensureSearchAttributes, runSearchAttributes } from './search-attributes';
import { workflowArgument } from './workflow-argument';
import { buildRunSpec, resolveRunSettings, type TemporalRunSettings } from './run-settings';
import { RunHandle, cancelReasonText, startTrace, withRpcDeadline, type TemporalRunHandle } from './run-handle';
import { WORKFLOW_TYPE, type RunSummary, type WireGraph } from './wire';

export { buildRunSpec, resolveRunSettings, type TemporalRunSettings } from './run-settings';
export { cancelReasonText, type TemporalRunDescription, type TemporalRunHandle } from './run-handle';
export { workflowArgument } from './workflow-argument';

export interface TemporalBackendOptions extends TemporalConnectionOptions, TemporalRunSettings {
  /** Task queue the workers poll. */
  taskQueue: string;
  /** An existing connection (client or worker one); the backend then never closes it. */
  connection?: Connection | NativeConnection;
  /** An existing client; wins over `connection`. */
  client?: Client;
  /** Interceptors of the client the backend creates (e.g. Temporal's OpenTelemetry one); ignored with `client`. */
  clientInterceptors?: ClientInterceptors;
  /** Resolves task names used in flows (`task: 'name'`, processors); enforces disabled tasks. */
  registry?: StepResolver;
  /** Share a bus with other sources; default: a new one (`backend.events`). */
  events?: EventBus;
  /** Prefix of generated workflow ids. Default `cascadence-`. */
  workflowIdPrefix?: string;
  /**
   * Index runs by the search attributes `CascadenceTask` and `CascadenceTrigger` (registered in the
   * namespace when missing). Default true; false where they cannot be registered and do not exist.
   */
  searchAttributes?: boolean;
}

export interface TemporalRunOptions extends RunOptions {
  /** Workflow id to use; default `<prefix><task name>-<run id>`. */
  workflowId?: string;
  /** Memo attached to the workflow execution. */
  memo?: Record<string, unknown>;
}

/**
 * Runs Cascadence tasks and flows as Temporal workflows: each step becomes an activity of the
 * generic `cascadenceFlow` workflow, executed by workers made with `createWorker`.
 */
export class TemporalBackend implements ExecutionBackend, EventSource {
  readonly name = 'temporal';
  readonly events: EventBus;
  readonly taskQueue: string;
  readonly address: string;
  readonly namespace: string;
  private readonly options: TemporalBackendOptions;
  private readonly connectionOptions: ResolvedConnectionOptions;
  private readonly lazyClient: LazyClient;

  constructor(options: TemporalBackendOptions) {
    if (typeof options?.taskQueue !== 'string' || options.taskQueue === '') {
      throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'TemporalBackend needs a taskQueue (the queue your workers poll)');
    }
    this.options = options;
    this.connectionOptions = resolveConnectionOptions(options);
    this.lazyClient = new LazyClient(options, this.connectionOptions);
    this.taskQueue = options.taskQueue;
    this.address = this.connectionOptions.address;
    this.namespace = options.client?.options.namespace ?? this.connectionOptions.namespace;
    this.events = options.events ?? new EventBus();
    resolveRunSettings(options);
  }

  /** The Temporal client, connecting on first use (fails fast with CASCADENCE_TEMPORAL_CONNECT). */
  client(): Promise<Client> {
    return this.lazyClient.get();
  }

  /** Connects now (instead of on the first run) and checks the namespace. */
  async connect(): Promise<void> {
    await this.client();
  }

  /** Runs a task or flow on Temporal and resolves to its RunResult (failed runs resolve too). */
  async run<Output>(runnable: Runnable, input?: unknown, options: TemporalRunOptions = {}): Promise<RunResult<Output>> {
    const signal = options.signal;
    if (signal?.aborted) return this.cancelledBeforeStart<Output>(runnable, input, options, signal.reason);
    const handle = await this.start<Output>(runnable, input, options);
    const onAbort = (): void => {
      handle.cancel(signal?.reason).catch(() => undefined);
    };
    if (signal !== undefined) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    try {
      return await handle.result();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Like the engine with an already aborted signal: nothing runs, every step is cancelled. */
  private cancelledBeforeStart<Output>(
    runnable: Runnable,
    input: unknown,
    options: TemporalRunOptions,
    reason: unknown,
  ): RunResult<Output> {
    if (!isTask(runnable) && !isFlow(runnable)) {
      throw new CascadenceError(
        ErrorCode.INVALID_DEFINITION,
        'TemporalBackend.run expects a task or flow made with defineTask or defineFlow',
      );
    }
    const runId = options.runId ?? newRunId();
    const graph = compileGraph(runnable, this.options.registry);
    const text = cancelReasonText(reason);
    const now = Date.now();
    const summary: RunSummary = {
      runId,
      task: runnable.name,
      status: 'cancelled',
      error: { name: 'CancelledError', code: ErrorCode.CANCELLED, message: cancelledMessage(runWhat(graph.kind, runnable.name), text) },
      steps: {},
      startedAt: now,
      durationMs: 0,
    };
    for (const step of graph.steps) {
      summary.steps[step.id] = {
        status: 'cancelled',
        attempts: 0,
        error: {
          name: 'CancelledError',
          code: ErrorCode.CANCELLED,
          message: cancelledMessage(stepWhere(graph.kind === 'flow' ? graph.name : undefined, step.id), text),
        },
      };
    }
    const result = toRunResult<Output>(summary);
    if (this.events.active) {
      const start: RunStartEvent = {
        type: 'run:start',
        runId,
        at: now,
        task: runnable.name,
        kind: runnable.kind,
        parentFlow: undefined,
        trigger: options.trigger,
        input,
      };
      const end: RunEndEvent = {
        type: 'run:end',
        runId,
        at: now,
        task: runnable.name,
        kind: runnable.kind,
        parentFlow: undefined,
        status: 'cancelled',
        durationMs: 0,
        error: result.error,
        result,
      };
      this.events.emit(start);
      this.events.emit(end);
      if (this.events.tracer !== undefined) startTrace(this.events, this.events.tracer, start)?.end(end);
    }
    return result;
  }

  /** Starts a task or flow and returns a handle without waiting for it. */
  async start<Output = unknown>(runnable: Runnable, input?: unknown, options: TemporalRunOptions = {}): Promise<TemporalRunHandle<Output>> {
    if (!isTask(runnable) && !isFlow(runnable)) {
      throw new CascadenceError(
        ErrorCode.INVALID_DEFINITION,
        'TemporalBackend.run expects a task or flow made with defineTask or defineFlow',
      );
    }
    const registry = this.options.registry;
    if (registry?.isEnabled !== undefined && !registry.isEnabled(runnable.name)) {
      throw new CascadenceError(ErrorCode.TASK_DISABLED, `task "${runnable.name}" is disabled`, {
        suggestions: [`enable it with: task enable ${runnable.name}`],
        details: { task: runnable.name },
      });
    }
    const runId = options.runId ?? newRunId();
    const spec = buildRunSpec(runnable, input, runId, resolveRunSettings(this.options, options), registry);
    if (options.reuse !== undefined) spec.reuse = checkedReuse(runnable, spec.graph, options.reuse);
    const argument = workflowArgument(spec);
    const workflowId = options.workflowId ?? `${this.options.workflowIdPrefix ?? 'cascadence-'}${runnable.name}-${runId}`;
    const client = await this.client();
    const indexed = this.options.searchAttributes !== false;
    if (indexed)
      await withRpcDeadline(client, this.connectionOptions.connectTimeoutMs, () =>
        ensureSearchAttributes(client, this.namespace, this.address),
      );
    const startedAt = Date.now();
    const startEvent: RunStartEvent = {
      type: 'run:start',
      runId,
      at: startedAt,
      task: runnable.name,
      kind: runnable.kind,
      parentFlow: undefined,
      trigger: options.trigger,
      input,
    };
    // A tracer's run scope is current while the workflow starts: Temporal's client interceptor
    // (if installed) puts it in the workflow's headers, so the workflow and its steps join it.
    const traced =
      this.events.active && this.events.tracer !== undefined ? startTrace(this.events, this.events.tracer, startEvent) : undefined;
    const startWorkflow = () =>
      withRpcDeadline(client, this.connectionOptions.connectTimeoutMs, () =>
        client.workflow.start(WORKFLOW_TYPE, {
          taskQueue: this.taskQueue,
          workflowId,
          args: [argument],
          memo: { cascadenceTask: runnable.name, cascadenceRunId: runId, ...options.memo },
          staticSummary: `${runnable.kind} ${runnable.name}`,
          ...(indexed ? { typedSearchAttributes: runSearchAttributes(runnable.name, 'run') } : {}),
        }),
      );
    const handle = await (traced === undefined ? startWorkflow() : traced.tracer.within(traced.scope, startWorkflow)).catch(
      (error: unknown) => {
        const failure = this.rpcError(error, `start ${runnable.kind} "${runnable.name}" on task queue "${this.taskQueue}"`);
        traced?.end({
          type: 'run:end',
          runId,
          at: Date.now(),
          task: runnable.name,
          kind: runnable.kind,
          parentFlow: undefined,
          status: 'failed',
          durationMs: Date.now() - startedAt,
          error: failure,
        });
        throw failure;
      },
    );
    startEvent.external = {
      workflowId: handle.workflowId,
      workflowRunId: (handle as { firstExecutionRunId?: string }).firstExecutionRunId,
    };
    if (this.events.active) this.events.emit(startEvent);
    return new RunHandle<Output>(this, client, handle, runId, spec.graph, runnable.kind, startedAt, true, traced);
  }

  /**
   * Workers polling this backend's task queue (or `taskQueue`) right now, as the server sees them;
   * empty when none is running — runs then wait until one starts.
   */
  async pollers(taskQueue: string = this.taskQueue): Promise<TaskQueuePoller[]> {
    const client = await this.client();
    try {
      return await withRpcDeadline(client, this.connectionOptions.connectTimeoutMs, () =>
        workflowPollers(client, this.namespace, taskQueue),
      );
    } catch (error) {
      throw this.rpcError(error, `describe task queue "${taskQueue}"`);
    }
  }

  /** A handle on a run started earlier (by this process or any other), by workflow id. */
  async getHandle<Output = unknown>(workflowId: string): Promise<TemporalRunHandle<Output>> {
    const client = await this.client();
    const handle = client.workflow.getHandle(workflowId);
    return new RunHandle<Output>(this, client, handle, '', undefined, 'flow', Date.now(), false);
  }

  /** Closes the connection the backend opened itself. */
  async close(): Promise<void> {
    await this.lazyClient.close();
  }

  /** @internal */
  rpcError(error: unknown, what: string): Error {
    if (CascadenceError.isInstance(error)) return error;
    const message = rpcErrorText(error);
    return temporalError(
      TemporalErrorCode.CONNECT,
      `could not ${what} at Temporal ${this.address} (namespace "${this.namespace}"): ${message}`,
      {
        details: { address: this.address, namespace: this.namespace },
      },
    );
  }

  /** @internal */
  get rpcTimeoutMs(): number {
    return this.connectionOptions.connectTimeoutMs;
  }
}

/**
 * The message of a failed RPC with the server's reason: the client's ServiceError says only what
 * it tried ("Failed to start Workflow"); the gRPC error in its cause says why.
 */
export function rpcErrorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const text = current instanceof Error ? current.message : String(current);
    const reason = typeof (current as { details?: unknown }).details === 'string' ? (current as { details: string }).details : undefined;
    for (const part of [text, reason]) {
      if (part !== undefined && part !== '' && !parts.some((seen) => seen.includes(part))) parts.push(part);
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

/** `RunOptions.reuse` checked before the workflow starts, with the engine's rules and error code. */
function checkedReuse(runnable: Runnable, graph: WireGraph, outputs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fail = (problem: string): never => {
    throw new CascadenceError(ErrorCode.INVALID_REUSE, `cannot reuse outputs in ${runWhat(runnable.kind, runnable.name)}: ${problem}`, {
      details: { task: runnable.name },
    });
  };
  if (graph.kind !== 'flow') return fail("only a flow's steps can be reused");
  const ids = graph.steps.map((step) => step.id);
  const shape = dagShape(
    graph.steps.map((step) => step.needs),
    graph.steps.map((step) => RULE_CODES[step.when]),
  );
  const resolved = resolveReuse(shape, ids, (id) => (ids.includes(id) ? ids.indexOf(id) : undefined), outputs);
  if (resolved.problem !== undefined) fail(resolved.problem);
  return { ...outputs };
}
