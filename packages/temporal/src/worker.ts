import { existsSync } from 'node:fs';
import path from 'node:path';
import { CascadenceError, ErrorCode, EventBus, Registry, type Logger, type Processor, type Runnable } from '@cascadence/core';
import type { NativeConnection, Worker, WorkerOptions, WorkflowBundle, WorkflowBundleOption } from '@temporalio/worker';
import { createStepActivities, type StepSource } from './activity';
import { openNativeConnection, resolveConnectionOptions, type TemporalConnectionOptions } from './connection';
import { workerSdk } from './worker-sdk';

export interface CreateWorkerOptions extends TemporalConnectionOptions {
  /** Task queue to poll (the backend's taskQueue). */
  taskQueue: string;
  /** Tasks and flows this worker can run (their inline steps included). Or pass `registry`. */
  tasks?: Runnable[];
  /** Processors for `uses:` steps (with `tasks`). */
  processors?: Processor<any, any>[];
  /** A Registry (or any resolver with `get`) holding the tasks, flows and processors. */
  registry?: StepSource;
  /** An existing worker connection; the worker then never closes it. */
  connection?: NativeConnection;
  /** Behind `ctx.log`; default: the console. */
  logger?: Logger;
  /** Live step events of the steps this worker runs; default: a new bus (`worker.events`). */
  events?: EventBus;
  /** The workflow file to bundle; default: the `workflow.js` built next to this package's entry. */
  workflowsPath?: string;
  /** A pre-built bundle (`{ code }` or `{ codePath }`), e.g. from `bundleCascadenceWorkflow()`. */
  workflowBundle?: WorkflowBundleOption;
  /**
   * Workflow interceptor modules bundled with the DAG workflow, e.g. Temporal's OpenTelemetry ones
   * (`require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')`).
   * Ignored with `workflowBundle`: bundle them in with `bundleCascadenceWorkflow(file, { workflowInterceptorModules })`.
   */
  workflowInterceptorModules?: string[];
  /** Steps run at once by this worker. Default 100. */
  maxConcurrentSteps?: number;
  /** Heartbeats (which deliver cancellation) are sent at most this often. Default 1000 ms. */
  heartbeatThrottleMs?: number;
  /** How long a workflow task waits for this worker's sticky queue before any worker may take it. */
  stickyQueueScheduleToStartTimeoutMs?: number;
  /** Time running steps get to finish on shutdown. Default 10 s. */
  shutdownGraceTimeMs?: number;
  /** Any other @temporalio/worker option, applied last. */
  workerOptions?: Partial<WorkerOptions>;
}

/** A running (or ready) Cascadence worker. */
export interface CascadenceWorker {
  readonly worker: Worker;
  readonly taskQueue: string;
  /** step:start / step:success / step:retry / step:failure of the steps this worker runs. */
  readonly events: EventBus;
  /** Polls until shutdown (or SIGINT/SIGTERM); resolves when the worker has stopped. */
  run(): Promise<void>;
  /** Starts polling in the background. */
  start(): void;
  /** Stops polling, lets running steps finish (shutdownGraceTimeMs), closes its own connection. */
  shutdown(): Promise<void>;
}

/** The built workflow file: `workflow.js` beside this module in dist (or ../dist, or the TS source under test). */
export function workflowsPath(): string {
  const candidates = [
    path.join(__dirname, 'workflow.js'),
    path.join(__dirname, '..', 'dist', 'workflow.js'),
    path.join(__dirname, 'workflow.ts'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new CascadenceError(
      'CASCADENCE_TEMPORAL_UNSUPPORTED',
      `cannot find the Cascadence workflow file (looked for ${candidates.join(', ')}); build @cascadence/temporal`,
    );
  }
  return found;
}

const bundles = new Map<string, Promise<WorkflowBundle>>();

export interface BundleWorkflowOptions {
  /** Workflow interceptor modules to bundle with the workflow (Temporal's `workflowInterceptorModules`). */
  workflowInterceptorModules?: string[];
}

/** Bundles the DAG workflow for Temporal's sandbox once per process (and per path and interceptor modules). */
export function bundleCascadenceWorkflow(file: string = workflowsPath(), options: BundleWorkflowOptions = {}): Promise<WorkflowBundle> {
  const modules = options.workflowInterceptorModules ?? [];
  const key = JSON.stringify([file, modules]);
  let bundle = bundles.get(key);
  if (bundle === undefined) {
    const { bundleWorkflowCode, DefaultLogger } = workerSdk();
    bundle = bundleWorkflowCode({ workflowsPath: file, workflowInterceptorModules: modules, logger: new DefaultLogger('WARN') }).then(
      ({ code }) => ({ code }),
    );
    bundle.catch(() => bundles.delete(key));
    bundles.set(key, bundle);
  }
  return bundle;
}

function stepSource(options: CreateWorkerOptions): StepSource {
  if (options.registry !== undefined) {
    if (options.tasks !== undefined || options.processors !== undefined) {
      throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'createWorker: pass either registry or tasks/processors, not both');
    }
    return options.registry;
  }
  if (options.tasks === undefined || options.tasks.length === 0) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      'createWorker needs the tasks and flows it runs: { tasks: [...] } or { registry }',
    );
  }
  const registry = new Registry();
  for (const task of options.tasks) registry.add(task);
  for (const processor of options.processors ?? []) registry.addProcessor(processor);
  return registry;
}

/**
 * Creates a Temporal worker for Cascadence: it hosts the DAG workflow and one activity that runs
 * any step of the given tasks, flows (inline `run:` steps included) and processors, by name.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<CascadenceWorker> {
  if (typeof options?.taskQueue !== 'string' || options.taskQueue === '') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'createWorker needs a taskQueue (the one the TemporalBackend uses)');
  }
  const source = stepSource(options);
  const events = options.events ?? new EventBus();
  const resolved = resolveConnectionOptions(options);
  const bundleOptions: BundleWorkflowOptions = { workflowInterceptorModules: options.workflowInterceptorModules };
  const workflowBundle =
    options.workflowBundle ?? (await bundleCascadenceWorkflow(options.workflowsPath ?? workflowsPath(), bundleOptions));
  const ownConnection = options.connection === undefined ? await openNativeConnection(resolved) : undefined;
  const connection = options.connection ?? (ownConnection as NativeConnection);
  const throttle = options.heartbeatThrottleMs ?? 1000;
  let worker: Worker;
  try {
    worker = await workerSdk().Worker.create({
      connection,
      namespace: resolved.namespace,
      taskQueue: options.taskQueue,
      workflowBundle,
      activities: createStepActivities({ source, logger: options.logger, events }),
      maxConcurrentActivityTaskExecutions: options.maxConcurrentSteps ?? 100,
      maxHeartbeatThrottleInterval: throttle,
      defaultHeartbeatThrottleInterval: throttle,
      shutdownGraceTime: options.shutdownGraceTimeMs ?? 10_000,
      ...(options.stickyQueueScheduleToStartTimeoutMs === undefined
        ? {}
        : { stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeoutMs }),
      ...options.workerOptions,
    });
  } catch (error) {
    await ownConnection?.close().catch(() => undefined);
    throw error;
  }
  let running: Promise<void> | undefined;
  let closed = false;
  const closeConnection = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await ownConnection?.close().catch(() => undefined);
  };
  const run = (): Promise<void> => {
    running ??= worker.run().finally(closeConnection);
    return running;
  };
  return {
    worker,
    taskQueue: options.taskQueue,
    events,
    run,
    start(): void {
      run().catch((error: unknown) => {
        (options.logger ?? console).error(`cascadence worker on task queue "${options.taskQueue}" stopped: ${String(error)}`);
      });
    },
    async shutdown(): Promise<void> {
      if (running === undefined) {
        await closeConnection();
        return;
      }
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    },
  };
}
