import {
  CancelledError,
  CascadenceError,
  ErrorCode,
  EventBus,
  TimeoutError,
  consoleLogger,
  isFlow,
  isRetryable,
  resolveRetryPolicy,
  retryDelay,
  scopedLogger,
  toError,
  validateOptions,
  type Flow,
  type FlowStep,
  type Logger,
  type ResolvedRetryPolicy,
  type Runnable,
  type StepResolver,
  type TaskContext,
} from '@cascadence/core';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { TemporalErrorCode } from './errors';
import { toWireError } from './result';
import {
  OUTPUT_ACTIVITY,
  STEP_ACTIVITY,
  formatBytes,
  jsonSize,
  type OutputCall,
  type StepCall,
  type StepFailureDetails,
  type StepHeartbeat,
  type StepReport,
} from './wire';

/** Where a worker finds the code of steps: a Registry (or anything that resolves names). */
export interface StepSource extends StepResolver {
  get?(name: string): Runnable;
}

interface ResolvedStep {
  run: (ctx: TaskContext, input: unknown) => unknown;
  retry: ResolvedRetryPolicy;
  where: string;
}

export interface StepActivityOptions {
  source: StepSource;
  logger?: Logger;
  events?: EventBus;
}

function notFound(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${message} (is this worker running the same version of the flows as the client? deploy workers first)`,
    type: 'CascadenceError',
    nonRetryable: true,
    details: [{ attempt: Context.current().info.attempt, name: 'CascadenceError', code: TemporalErrorCode.STEP_NOT_FOUND } satisfies StepFailureDetails],
  });
}

function lookup(source: StepSource, name: string): Runnable {
  return source.get !== undefined ? source.get(name) : source.resolveTask(name);
}

/** Finds the flow at `path` (step ids of nested-flow steps) below the root. */
function flowAt(source: StepSource, root: string, path: readonly string[]): Flow {
  let runnable: Runnable;
  try {
    runnable = lookup(source, root);
  } catch (error) {
    throw notFound(`this worker does not know task or flow "${root}": ${toError(error).message}`);
  }
  for (const id of path) {
    if (!isFlow(runnable)) throw notFound(`"${runnable.name}" is a task, not a flow with a step "${id}"`);
    const step = runnable.steps[id];
    if (step?.task === undefined) throw notFound(`the worker's flow "${runnable.name}" has no nested-flow step "${id}"`);
    runnable = typeof step.task === 'string' ? source.resolveTask(step.task) : step.task;
  }
  if (!isFlow(runnable)) throw notFound(`"${runnable.name}" is not a flow`);
  return runnable;
}

function resolveStep(source: StepSource, root: string, path: readonly string[]): ResolvedStep {
  const last = path[path.length - 1] as string;
  if (path.length === 1) {
    let runnable: Runnable;
    try {
      runnable = lookup(source, root);
    } catch (error) {
      throw notFound(`this worker does not know task or flow "${root}": ${toError(error).message}`);
    }
    if (runnable.kind === 'task') {
      if (last !== runnable.name) throw notFound(`task "${root}" has no step "${last}"`);
      const where = `task "${runnable.name}"`;
      return { run: runnable.run as ResolvedStep['run'], retry: resolveRetryPolicy(runnable.retry, where), where };
    }
  }
  const flow = flowAt(source, root, path.slice(0, -1));
  const step: FlowStep | undefined = flow.steps[last];
  if (step === undefined) throw notFound(`the worker's flow "${flow.name}" has no step "${last}"`);
  const where = `step "${last}" of flow "${flow.name}"`;
  if (step.run !== undefined) return { run: step.run as ResolvedStep['run'], retry: resolveRetryPolicy(step.retry, where), where };
  if (step.uses !== undefined) {
    const processor = source.resolveProcessor(step.uses);
    const optionsWhere = `flow "${flow.name}", step "${last}"`;
    return {
      run: (ctx, input) => processor.run(ctx, validateOptions(processor.options, input, optionsWhere)),
      retry: resolveRetryPolicy(step.retry, where),
      where,
    };
  }
  const target = typeof step.task === 'string' ? source.resolveTask(step.task) : (step.task as Runnable);
  if (target.kind === 'flow') throw notFound(`${where} is a nested flow; the workflow runs those itself`);
  return { run: target.run as ResolvedStep['run'], retry: resolveRetryPolicy(step.retry ?? target.retry, where), where };
}


/**
 * The activities a Cascadence worker registers: one that runs any step (resolved by root name and
 * step path from the worker's own tasks, flows and processors) and one that computes flow outputs.
 */
export function createStepActivities(options: StepActivityOptions): Record<string, (...args: any[]) => Promise<unknown>> {
  const source = options.source;
  const baseLogger = options.logger ?? consoleLogger();
  const events = options.events;

  async function runStep(call: StepCall): Promise<StepReport> {
    const context = Context.current();
    const info = context.info;
    const attempt = call.attemptOffset + info.attempt;
    const stepId = call.path[call.path.length - 1] as string;
    // No heartbeat up front (one RPC per step saved): short steps never need one; long ones beat below.
    const beat: StepHeartbeat = { attempt: info.attempt };
    if (source.isEnabled !== undefined && !source.isEnabled(call.root)) {
      throw ApplicationFailure.create({
        message: `task "${call.root}" is disabled`,
        type: 'CascadenceError',
        nonRetryable: true,
        details: [{ attempt: info.attempt, name: 'CascadenceError', code: ErrorCode.TASK_DISABLED } satisfies StepFailureDetails],
      });
    }
    let step: ResolvedStep;
    try {
      step = resolveStep(source, call.root, call.path);
    } catch (error) {
      if (error instanceof ApplicationFailure) throw error;
      throw notFound(toError(error).message);
    }
    const controller = new AbortController();
    const onCancel = (): void => {
      const details = context.cancellationDetails;
      if (controller.signal.aborted) return;
      controller.abort(
        details?.timedOut ? new TimeoutError(step.where, info.startToCloseTimeoutMs) : new CancelledError(step.where, details?.workerShutdown ? new Error('the worker is shutting down') : undefined),
      );
    };
    context.cancellationSignal.addEventListener('abort', onCancel, { once: true });
    // Like the local engine, ctx.signal aborts with a TimeoutError when the attempt's time is up.
    const limit = info.startToCloseTimeoutMs;
    const deadline =
      limit > 0 && limit < 2 ** 31 - 1
        ? setTimeout(() => controller.abort(new TimeoutError(step.where, limit)), limit)
        : undefined;
    deadline?.unref?.();
    // Heartbeats carry cancellation to the step and tell the server this worker is alive.
    const period = Math.max(100, Math.min(1000, (info.heartbeatTimeoutMs ?? 4000) / 4));
    const timer = setInterval(() => context.heartbeat(beat), period);
    timer.unref?.();
    let log: Logger | undefined;
    const ctx: TaskContext = {
      runId: call.runId,
      task: call.label,
      stepId,
      flow: call.flow,
      attempt,
      signal: controller.signal,
      get log() {
        return (log ??= scopedLogger(baseLogger, call.flow === undefined ? stepId : `${call.flow}/${stepId}`));
      },
      results: call.results,
    };
    const t0 = performance.now();
    const started = Date.now();
    if (events?.active) events.emit({ type: 'step:start', runId: call.runId, at: started, flow: call.flow, step: stepId, task: call.label, attempt });
    try {
      const output = await step.run(ctx, call.input);
      const size = jsonSize(output);
      if (size > call.maxPayloadBytes) {
        throw new CascadenceError(
          TemporalErrorCode.PAYLOAD_TOO_LARGE,
          `the output of ${step.where} is ${formatBytes(size)}, over the ${formatBytes(call.maxPayloadBytes)} Temporal payload limit (maxPayloadBytes); keep large data outside the workflow (a file, an object store) and return a reference`,
          { details: { size, limit: call.maxPayloadBytes } },
        );
      }
      if (events?.active) events.emit({ type: 'step:success', runId: call.runId, at: Date.now(), flow: call.flow, step: stepId, task: call.label, attempt, durationMs: performance.now() - t0 });
      return { output, attempt: info.attempt };
    } catch (thrown) {
      if (controller.signal.aborted && context.cancellationDetails?.cancelRequested && !CascadenceError.isInstance(controller.signal.reason, ErrorCode.TIMEOUT)) {
        throw new CancelledFailure(`${step.where} was cancelled`);
      }
      const error = toError(thrown);
      const payloadError = CascadenceError.isInstance(error, TemporalErrorCode.PAYLOAD_TOO_LARGE);
      const maxAttempts = info.retryPolicy?.maximumAttempts ?? step.retry.attempts;
      const nonRetryable = payloadError || !isRetryable(step.retry, error);
      const durationMs = performance.now() - t0;
      if (events?.active) {
        if (!nonRetryable && info.attempt < maxAttempts) {
          events.emit({ type: 'step:retry', runId: call.runId, at: Date.now(), flow: call.flow, step: stepId, task: call.label, attempt, durationMs, error, delayMs: retryDelay({ ...step.retry, jitter: 0 }, info.attempt) });
        } else {
          events.emit({ type: 'step:failure', runId: call.runId, at: Date.now(), flow: call.flow, step: stepId, task: call.label, attempt, durationMs, error, status: 'failed' });
        }
      }
      const wire = toWireError(error);
      const details: StepFailureDetails = { attempt: info.attempt, name: wire.name };
      if (wire.code !== undefined) details.code = wire.code;
      if (wire.details !== undefined) details.details = wire.details;
      const failure = ApplicationFailure.create({ message: error.message, type: error.name, nonRetryable, details: [details] });
      if (wire.stack !== undefined) failure.stack = wire.stack;
      throw failure;
    } finally {
      clearInterval(timer);
      if (deadline !== undefined) clearTimeout(deadline);
      context.cancellationSignal.removeEventListener('abort', onCancel);
    }
  }

  async function computeOutput(call: OutputCall): Promise<unknown> {
    const flow = flowAt(source, call.root, call.path);
    if (flow.output === undefined) return { ...call.results };
    let output: unknown;
    try {
      output = flow.output({ ...call.results }, call.input);
    } catch (thrown) {
      const error = toError(thrown);
      const wire = toWireError(error);
      throw ApplicationFailure.create({
        message: error.message,
        type: error.name,
        nonRetryable: true,
        details: [{ attempt: Context.current().info.attempt, name: wire.name, ...(wire.code === undefined ? {} : { code: wire.code }) } satisfies StepFailureDetails],
      });
    }
    const size = jsonSize(output);
    if (size > call.maxPayloadBytes) {
      throw ApplicationFailure.create({
        message: `the output of flow "${flow.name}" is ${formatBytes(size)}, over the ${formatBytes(call.maxPayloadBytes)} Temporal payload limit (maxPayloadBytes)`,
        type: 'CascadenceError',
        nonRetryable: true,
        details: [{ attempt: Context.current().info.attempt, name: 'CascadenceError', code: TemporalErrorCode.PAYLOAD_TOO_LARGE } satisfies StepFailureDetails],
      });
    }
    return output;
  }

  return { [STEP_ACTIVITY]: runStep, [OUTPUT_ACTIVITY]: computeOutput };
}
