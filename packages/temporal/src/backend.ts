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
  type RunTracer,
  type StepResolver,
} from '@cascadence/core';
import {
  ApplicationFailure,
  CancelledFailure,
  Client,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
  type ClientInterceptors,
  type Connection,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { cancelledMessage, dagShape, resolveReuse, runWhat, RULE_CODES, stepWhere } from '@cascadence/core/dag';
import { compileGraph } from './compile';
import { LazyClient, resolveConnectionOptions, type ResolvedConnectionOptions, type TemporalConnectionOptions } from './connection';
import { TemporalErrorCode, temporalError } from './errors';
import { syntheticSummary, toRunResult } from './result';
import { workflowPollers, type TaskQueuePoller } from './task-queue';
import { ensureSearchAttributes, runSearchAttributes } from './search-attributes';
import { workflowArgument } from './workflow-argument';
import { DEFAULT_PARTITION_HISTORY_EVENTS } from './partition';
import { plainSummary, type CompactSummary } from './summary-codec';
import {
  CANCEL_REASON_SIGNAL,
  PLAIN_SPEC_VERSION,
  RUN_FAILED_TYPE,
  STATE_QUERY,
  WORKFLOW_TYPE,
  formatBytes,
  jsonSize,
  type RunSpec,
  type RunSummary,
  type WireError,
  type WireGraph,
  type WireRunOptions,
} from './wire';

/** How steps run on Temporal; shared by TemporalBackend and TemporalScheduler. */
export interface TemporalRunSettings {
  /** Steps of one flow running at once (each nested flow has its own limit). Default 16. */
  concurrency?: number;
  /** Abort running steps and start no new ones once a step has failed. Default false. */
  failFast?: boolean;
  /** startToCloseTimeout of steps without timeoutMs. Default 24 h. */
  defaultStepTimeoutMs?: number;
  /** A step whose worker sends no heartbeat for this long is considered lost. Default 30 s. */
  heartbeatTimeoutMs?: number;
  /** Times a step lost with its worker is re-run without using up its retries. Default 3. */
  workerLossRetries?: number;
  /** Largest JSON payload sent through Temporal (step input + results, output, run result). Default 2 000 000 bytes. */
  maxPayloadBytes?: number;
  /**
   * Steps that declare a `timeoutMs` of at most this run as Temporal local activities: executed by
   * the worker running the workflow, without a round trip through the server per step. Default
   * 5000 ms; 0 runs every step as a regular activity.
   */
  localStepMaxTimeoutMs?: number;
  /**
   * Largest JSON output a step may return. Every output is recorded into the workflow's history
   * (and into the input of each step that needs it), which the server caps (50 MiB by default):
   * larger data belongs outside, passed by reference. Default 512 KiB (the server's own warning
   * size for a payload); at most maxPayloadBytes applies in any case.
   */
  maxOutputBytes?: number;
  /**
   * The server's limit of history events per workflow (`limit.historyCount.error`, default 51,200).
   * A run that needs more when every step runs (about 3 events per step, 6 per step in a chain,
   * 1 per short step) is refused before it starts when partitioning is off. Raise both together.
   */
  maxHistoryEvents?: number;
  /**
   * History events after which a run continues as a new workflow run carrying its state
   * (continue-as-new; the run keeps its workflow id, result, query and cancellation). Default
   * 20,000; 0 turns partitioning off (runs that cannot fit in maxHistoryEvents are refused).
   * Must be below maxHistoryEvents, leaving room for the steps still running at that point.
   */
  partitionHistoryEvents?: number;
}

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

const DEFAULTS = {
  concurrency: 16,
  failFast: false,
  defaultStepTimeoutMs: 24 * 60 * 60 * 1000,
  heartbeatTimeoutMs: 30_000,
  workerLossRetries: 3,
  maxPayloadBytes: 2_000_000,
  localStepMaxTimeoutMs: 5000,
  maxOutputBytes: 512 * 1024,
  maxHistoryEvents: 51_200,
  partitionHistoryEvents: DEFAULT_PARTITION_HISTORY_EVENTS,
};

/** Checks run settings and fills in defaults. */
export function resolveRunSettings(
  settings: TemporalRunSettings,
  overrides: Pick<RunOptions, 'concurrency' | 'failFast'> = {},
): WireRunOptions {
  const out: WireRunOptions = {
    concurrency: overrides.concurrency ?? settings.concurrency ?? DEFAULTS.concurrency,
    failFast: overrides.failFast ?? settings.failFast ?? DEFAULTS.failFast,
    defaultStepTimeoutMs: settings.defaultStepTimeoutMs ?? DEFAULTS.defaultStepTimeoutMs,
    heartbeatTimeoutMs: settings.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs,
    workerLossRetries: settings.workerLossRetries ?? DEFAULTS.workerLossRetries,
    maxPayloadBytes: settings.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
    localStepMaxTimeoutMs: settings.localStepMaxTimeoutMs ?? DEFAULTS.localStepMaxTimeoutMs,
    maxOutputBytes: settings.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
    maxHistoryEvents: settings.maxHistoryEvents ?? DEFAULTS.maxHistoryEvents,
    partitionHistoryEvents: settings.partitionHistoryEvents ?? DEFAULTS.partitionHistoryEvents,
  };
  const positive = (name: keyof WireRunOptions, allowZero = false): void => {
    const value = out[name] as number;
    const ok =
      name === 'concurrency'
        ? value === Infinity || (Number.isInteger(value) && value >= 1)
        : Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
    if (!ok)
      throw new CascadenceError(
        ErrorCode.INVALID_DEFINITION,
        `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${String(value)})`,
      );
  };
  positive('concurrency');
  positive('defaultStepTimeoutMs');
  positive('heartbeatTimeoutMs');
  positive('workerLossRetries', true);
  positive('maxPayloadBytes');
  positive('localStepMaxTimeoutMs', true);
  positive('maxOutputBytes');
  positive('maxHistoryEvents');
  positive('partitionHistoryEvents', true);
  if (out.partitionHistoryEvents! >= out.maxHistoryEvents!) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `partitionHistoryEvents (${out.partitionHistoryEvents}) must be below maxHistoryEvents (${out.maxHistoryEvents}), or 0 to turn partitioning off`,
    );
  }
  // JSON has no Infinity: the workflow treats a huge number the same.
  if (out.concurrency === Infinity) out.concurrency = Number.MAX_SAFE_INTEGER;
  return out;
}

export { workflowArgument } from './workflow-argument';

/** Builds the workflow argument for a task or flow. */
export function buildRunSpec(
  runnable: Runnable,
  input: unknown,
  runId: string,
  settings: WireRunOptions,
  resolver: StepResolver | undefined,
): RunSpec {
  const graph = compileGraph(runnable, resolver);
  const size = jsonSize(input);
  if (size > settings.maxPayloadBytes) {
    throw temporalError(
      TemporalErrorCode.PAYLOAD_TOO_LARGE,
      `the input of ${runnable.kind} "${runnable.name}" is ${formatBytes(size)}, over the ${formatBytes(settings.maxPayloadBytes)} Temporal payload limit (maxPayloadBytes)`,
      {
        details: { size, limit: settings.maxPayloadBytes },
        suggestions: ['pass a reference (a path, a URL, an object key) instead of the data'],
      },
    );
  }
  markShortSteps(graph, settings.localStepMaxTimeoutMs ?? 0);
  return { version: PLAIN_SPEC_VERSION, runId, root: runnable.name, graph, input, options: settings };
}

/** The documented rule: a step (not a nested flow) whose timeoutMs is at most `maxMs` is short. */
function markShortSteps(graph: WireGraph, maxMs: number): void {
  for (const step of graph.steps) {
    if (step.flow !== undefined) markShortSteps(step.flow, maxMs);
    else if (step.timeoutMs !== undefined && step.timeoutMs <= maxMs) step.local = true;
  }
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

/** The tracer's scope of one run started from this client, and how to end it. */
interface RunTrace {
  readonly tracer: RunTracer;
  readonly scope: unknown;
  end(event: RunEndEvent): void;
}

function startTrace(events: EventBus, tracer: RunTracer, event: RunStartEvent): RunTrace | undefined {
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

function withRpcDeadline<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + Math.max(ms, 1000) * 2, fn);
}

class RunHandle<Output> implements TemporalRunHandle<Output> {
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
