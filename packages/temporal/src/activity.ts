import {
  CancelledError,
  CascadenceError,
  ErrorCode,
  EventBus,
  TimeoutError,
  consoleLogger,
  isFlow,
  isRetryable,
  planStep,
  retryDelay,
  scopedLogger,
  skipSignalReason,
  StepSkipSignal,
  taggedLogger,
  toError,
  validateProcessorOptions,
  type Flow,
  type FlowStep,
  type Logger,
  type ResolvedRetryPolicy,
  type Runnable,
  type RunTracer,
  type StepFailureEvent,
  type StepRetryEvent,
  type StepItemEvent,
  type StepSkipEvent,
  type StepStartEvent,
  type StepSuccessEvent,
  type StepPlan,
  type StepResolver,
  type TaskContext,
} from '@cascadence/core';
import { stepDefinitionWhere, stepWhere } from '@cascadence/core/dag';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { TemporalErrorCode } from './errors';
import { toWireError } from './result';
import { mapItemsActivity } from './map-activity';
import {
  MAP_ITEMS_ACTIVITY,
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

export function notFound(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${message} (is this worker running the same version of the flows as the client? deploy workers first)`,
    type: 'CascadenceError',
    nonRetryable: true,
    details: [
      {
        attempt: Context.current().info.attempt,
        name: 'CascadenceError',
        code: TemporalErrorCode.STEP_NOT_FOUND,
      } satisfies StepFailureDetails,
    ],
  });
}

function lookup(source: StepSource, name: string): Runnable {
  return source.get !== undefined ? source.get(name) : source.resolveTask(name);
}

export function rootOf(source: StepSource, root: string): Runnable {
  try {
    return lookup(source, root);
  } catch (error) {
    throw notFound(`this worker does not know task or flow "${root}": ${toError(error).message}`);
  }
}

/** Plans one step with core's step resolver, as the client planned it before the run started. */
export function planOn(source: StepSource, flow: Flow, id: string): StepPlan {
  const step: FlowStep | undefined = flow.steps[id];
  if (step === undefined) throw notFound(`the worker's flow "${flow.name}" has no step "${id}"`);
  return planStep(step, id, flow.name, { resolver: source, owner: 'worker' });
}

/** Finds the flow at `path` (step ids of nested-flow steps) below the root. */
export function flowAt(source: StepSource, root: string, path: readonly string[]): Flow {
  let runnable = rootOf(source, root);
  for (const id of path) {
    if (!isFlow(runnable)) throw notFound(`"${runnable.name}" is a task, not a flow with a step "${id}"`);
    const plan = planOn(source, runnable, id);
    if (plan.nested === undefined) throw notFound(`the worker's flow "${runnable.name}" has no nested-flow step "${id}"`);
    runnable = plan.nested;
  }
  if (!isFlow(runnable)) throw notFound(`"${runnable.name}" is not a flow`);
  return runnable;
}

function resolveStep(source: StepSource, root: string, path: readonly string[]): ResolvedStep {
  const last = path[path.length - 1] as string;
  if (path.length === 1) {
    const runnable = rootOf(source, root);
    if (runnable.kind === 'task') {
      if (last !== runnable.name) throw notFound(`task "${root}" has no step "${last}"`);
      const plan = planStep({ task: runnable }, last, undefined, { resolver: source, owner: 'worker' });
      return { run: plan.run as ResolvedStep['run'], retry: plan.retry, where: stepWhere(undefined, last) };
    }
  }
  const flow = flowAt(source, root, path.slice(0, -1));
  const plan = planOn(source, flow, last);
  const where = stepWhere(flow.name, last);
  if (plan.nested !== undefined) throw notFound(`${where} is a nested flow; the workflow runs those itself`);
  const processor = plan.processor;
  // A mapped processor's run already merges each item over `with` and validates it (core's plan).
  if (processor !== undefined && plan.map === undefined) {
    // The options travelled from the client; checked again here, by the same function.
    const optionsWhere = stepDefinitionWhere(flow.name, last);
    return { run: (ctx, input) => processor.run(ctx, validateProcessorOptions(processor, input, optionsWhere)), retry: plan.retry, where };
  }
  return { run: plan.run as ResolvedStep['run'], retry: plan.retry, where };
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
        details?.timedOut
          ? new TimeoutError(step.where, info.startToCloseTimeoutMs)
          : new CancelledError(step.where, details?.workerShutdown ? new Error('the worker is shutting down') : undefined),
      );
    };
    context.cancellationSignal.addEventListener('abort', onCancel, { once: true });
    // Like the local engine, ctx.signal aborts with a TimeoutError when the attempt's time is up.
    const limit = info.startToCloseTimeoutMs;
    const deadline =
      limit > 0 && limit < 2 ** 31 - 1 ? setTimeout(() => controller.abort(new TimeoutError(step.where, limit)), limit) : undefined;
    deadline?.unref?.();
    // Heartbeats carry cancellation to the step and tell the server this worker is alive.
    const period = Math.max(100, Math.min(1000, (info.heartbeatTimeoutMs ?? 4000) / 4));
    // Local activities (short steps) have no heartbeats: cancellation reaches them from the worker itself.
    const timer = info.isLocal ? undefined : setInterval(() => context.heartbeat(beat), period);
    timer?.unref?.();
    let log: Logger | undefined;
    // A tracer on the worker's bus gets a scope per attempt; its parent is the active context
    // (the activity's span, when Temporal's OpenTelemetry interceptors are installed).
    // An item of a map step reports `step:item` events (as the local engine does), not step events.
    const item = call.item;
    const stepBus = item === undefined ? events : undefined;
    const itemEvent = (status: StepItemEvent['status'], error: Error | undefined, output: unknown): void => {
      if (item === undefined || !events?.active) return;
      const event: StepItemEvent = {
        type: 'step:item',
        runId: call.runId,
        at: Date.now(),
        flow: call.flow,
        step: stepId,
        task: call.label,
        attempt,
        item: item.index,
        items: item.count,
        status,
        durationMs: performance.now() - t0,
        error,
        output,
      };
      events.emit(event);
    };
    const tracer = stepBus?.active ? stepBus.tracer : undefined;
    let traceScope: unknown;
    const traceEnd = (event: StepSuccessEvent | StepFailureEvent | StepRetryEvent | StepSkipEvent): void => {
      if (traceScope === undefined) return;
      try {
        (tracer as RunTracer).endStep(traceScope, event);
      } catch (error) {
        stepBus?.tracerFailed(error, event);
      }
    };
    const ctx: TaskContext = {
      runId: call.runId,
      task: call.label,
      stepId,
      flow: call.flow,
      attempt,
      signal: controller.signal,
      get log() {
        if (log !== undefined) return log;
        const scope = call.flow === undefined ? stepId : `${call.flow}/${stepId}`;
        const logTag = tracer?.logTag;
        if (traceScope === undefined || logTag === undefined) return (log = scopedLogger(baseLogger, scope));
        // Traced: the tracer's words (trace and span ids) are asked for at each line.
        return (log = taggedLogger(baseLogger, scope, () => {
          try {
            return logTag.call(tracer, traceScope);
          } catch {
            return undefined;
          }
        }));
      },
      // Prototype-less, as the local engine gives it.
      results: Object.assign(Object.create(null) as Record<string, unknown>, call.results),
      skip(reason?: string): never {
        throw new StepSkipSignal(step.where, reason ?? '');
      },
    };
    const t0 = performance.now();
    const started = Date.now();
    if (stepBus?.active) {
      const event: StepStartEvent = {
        type: 'step:start',
        runId: call.runId,
        at: started,
        flow: call.flow,
        step: stepId,
        task: call.label,
        attempt,
      };
      stepBus.emit(event);
      if (tracer !== undefined) {
        try {
          traceScope = tracer.startStep(undefined, event);
        } catch (error) {
          stepBus.tracerFailed(error, event);
        }
      }
    }
    try {
      const output = await (traceScope === undefined
        ? step.run(ctx, call.input)
        : (tracer as RunTracer).within(traceScope, () => step.run(ctx, call.input)));
      const size = jsonSize(output);
      if (size > call.maxPayloadBytes) {
        throw new CascadenceError(
          TemporalErrorCode.PAYLOAD_TOO_LARGE,
          `the output of ${step.where} is ${formatBytes(size)}, over the ${formatBytes(call.maxPayloadBytes)} Temporal payload limit (maxPayloadBytes); keep large data outside the workflow (a file, an object store) and return a reference`,
          { details: { size, limit: call.maxPayloadBytes } },
        );
      }
      if (call.maxOutputBytes !== undefined && size > call.maxOutputBytes)
        throw outputTooLarge(step.where, stepId, size, call.maxOutputBytes);
      if (stepBus?.active || traceScope !== undefined) {
        const event: StepSuccessEvent = {
          type: 'step:success',
          runId: call.runId,
          at: Date.now(),
          flow: call.flow,
          step: stepId,
          task: call.label,
          attempt,
          durationMs: performance.now() - t0,
          output,
        };
        stepBus?.emit(event);
        traceEnd(event);
      }
      itemEvent('succeeded', undefined, output);
      return { output, attempt: info.attempt };
    } catch (thrown) {
      const skipped = skipSignalReason(thrown);
      // ctx.skip(): not a failure; the workflow records the step as skipped (and never retries it).
      if (skipped !== undefined) {
        if (stepBus?.active || traceScope !== undefined) {
          const event: StepSkipEvent = {
            type: 'step:skip',
            runId: call.runId,
            at: Date.now(),
            flow: call.flow,
            step: stepId,
            task: call.label,
            reason: 'self',
            message: skipped,
            attempt,
          };
          stepBus?.emit(event);
          traceEnd(event);
        }
        itemEvent('skipped', undefined, undefined);
        return { output: undefined, attempt: info.attempt, skipped };
      }
      if (
        controller.signal.aborted &&
        context.cancellationDetails?.cancelRequested &&
        !CascadenceError.isInstance(controller.signal.reason, ErrorCode.TIMEOUT)
      ) {
        // Only the tracer hears of it: the workflow reports the cancellation of the run.
        const reason = controller.signal.reason;
        traceEnd({
          type: 'step:failure',
          runId: call.runId,
          at: Date.now(),
          flow: call.flow,
          step: stepId,
          task: call.label,
          attempt,
          durationMs: performance.now() - t0,
          error: reason instanceof Error ? reason : toError(reason),
          status: 'cancelled',
        });
        throw new CancelledFailure(`${step.where} was cancelled`);
      }
      const error = toError(thrown);
      const payloadError =
        CascadenceError.isInstance(error, TemporalErrorCode.PAYLOAD_TOO_LARGE) ||
        CascadenceError.isInstance(error, TemporalErrorCode.OUTPUT_TOO_LARGE);
      const maxAttempts = info.retryPolicy?.maximumAttempts ?? step.retry.attempts;
      const nonRetryable = payloadError || !isRetryable(step.retry, error);
      const durationMs = performance.now() - t0;
      if (stepBus?.active || traceScope !== undefined) {
        const event: StepRetryEvent | StepFailureEvent =
          !nonRetryable && info.attempt < maxAttempts
            ? {
                type: 'step:retry',
                runId: call.runId,
                at: Date.now(),
                flow: call.flow,
                step: stepId,
                task: call.label,
                attempt,
                durationMs,
                error,
                delayMs: retryDelay({ ...step.retry, jitter: 0 }, info.attempt),
              }
            : {
                type: 'step:failure',
                runId: call.runId,
                at: Date.now(),
                flow: call.flow,
                step: stepId,
                task: call.label,
                attempt,
                durationMs,
                error,
                status: 'failed',
              };
        stepBus?.emit(event);
        traceEnd(event);
      }
      itemEvent(!nonRetryable && info.attempt < maxAttempts ? 'retrying' : 'failed', error, undefined);
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
        details: [
          {
            attempt: Context.current().info.attempt,
            name: wire.name,
            ...(wire.code === undefined ? {} : { code: wire.code }),
          } satisfies StepFailureDetails,
        ],
      });
    }
    const size = jsonSize(output);
    if (size > call.maxPayloadBytes) {
      throw ApplicationFailure.create({
        message: `the output of flow "${flow.name}" is ${formatBytes(size)}, over the ${formatBytes(call.maxPayloadBytes)} Temporal payload limit (maxPayloadBytes)`,
        type: 'CascadenceError',
        nonRetryable: true,
        details: [
          {
            attempt: Context.current().info.attempt,
            name: 'CascadenceError',
            code: TemporalErrorCode.PAYLOAD_TOO_LARGE,
          } satisfies StepFailureDetails,
        ],
      });
    }
    return output;
  }

  return { [STEP_ACTIVITY]: runStep, [OUTPUT_ACTIVITY]: computeOutput, [MAP_ITEMS_ACTIVITY]: mapItemsActivity(source, baseLogger) };
}

/**
 * A step output over the history cap: every output is recorded into the workflow's history (and
 * again into the input of each step that needs it), which Temporal limits (50 MiB by default).
 */
function outputTooLarge(where: string, step: string, size: number, limit: number): CascadenceError {
  return new CascadenceError(
    TemporalErrorCode.OUTPUT_TOO_LARGE,
    `the output of ${where} is ${formatBytes(size)}, over the ${formatBytes(limit)} cap on a step output recorded in the workflow history (maxOutputBytes)`,
    {
      details: { step, size, limit },
      suggestions: [
        'store large data outside the workflow (a file, an object store) and return a reference (a path, a URL, a key) that the next step loads',
      ],
    },
  );
}
