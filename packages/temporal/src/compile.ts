import {
  CascadenceError,
  ErrorCode,
  isFlow,
  isTask,
  resolveRetryPolicy,
  validateOptions,
  type Flow,
  type FlowStep,
  type RetryPolicy,
  type Runnable,
  type StepResolver,
} from '@cascadence/core';
import { TemporalErrorCode, temporalError } from './errors';
import type { WireGraph, WireRetry, WireStep } from './wire';

/** Retry policy as data: classes in `nonRetryable` travel by name. */
export function wireRetry(policy: RetryPolicy | undefined, where: string): WireRetry {
  const resolved = resolveRetryPolicy(policy, where);
  return {
    attempts: resolved.attempts,
    backoff: resolved.backoff,
    delayMs: resolved.delayMs,
    maxDelayMs: resolved.maxDelayMs,
    jitter: resolved.jitter,
    nonRetryable: resolved.nonRetryable.map((rule) => (typeof rule === 'string' ? rule : rule.name)),
  };
}

/**
 * Turns a task or flow into the graph the workflow interprets: ids, needs, trigger rules,
 * retry and timeout settings, labels and `with` inputs — never code. Named tasks are resolved
 * with `resolver` (a Registry); processor options are validated when the processor is known.
 */
export function compileGraph(runnable: Runnable, resolver: StepResolver | undefined, isRoot = true, parents: string[] = []): WireGraph {
  if (isTask(runnable)) {
    return {
      name: runnable.name,
      kind: 'task',
      steps: [
        {
          id: runnable.name,
          label: runnable.name,
          kind: 'task',
          needs: [],
          when: 'all-succeeded',
          useFlowInput: true,
          retry: wireRetry(runnable.retry, `task "${runnable.name}"`),
          ...(runnable.timeoutMs === undefined ? {} : { timeoutMs: runnable.timeoutMs }),
        },
      ],
      hasOutput: false,
    };
  }
  if (!isFlow(runnable)) {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, 'TemporalBackend runs tasks and flows made with defineTask or defineFlow');
  }
  if (parents.includes(runnable.name)) {
    throw temporalError(TemporalErrorCode.UNSUPPORTED, `flow "${runnable.name}" contains itself: ${[...parents, runnable.name].join(' -> ')}`);
  }
  const graph = runnable.graph;
  const steps = graph.ids.map((id, i) => compileStep(runnable, id, graph.steps[i] as FlowStep, graph.needs[i] as readonly number[], resolver, [...parents, runnable.name]));
  const wire: WireGraph = { name: runnable.name, kind: 'flow', steps, hasOutput: typeof runnable.output === 'function' };
  if (isRoot && runnable.timeoutMs !== undefined) wire.timeoutMs = runnable.timeoutMs;
  return wire;
}

function compileStep(
  flow: Flow,
  id: string,
  step: FlowStep,
  needs: readonly number[],
  resolver: StepResolver | undefined,
  parents: string[],
): WireStep {
  const where = `flow "${flow.name}", step "${id}"`;
  let retry = step.retry;
  let timeoutMs = step.timeoutMs;
  let label = id;
  let kind: WireStep['kind'] = 'inline';
  let nested: WireGraph | undefined;
  let input = step.with;
  let useFlowInput = step.with === undefined;
  if (step.task !== undefined) {
    const target = typeof step.task === 'string' ? resolveTask(step.task, resolver, where) : step.task;
    label = target.name;
    retry ??= target.retry;
    timeoutMs ??= target.timeoutMs;
    if (isFlow(target)) {
      kind = 'flow';
      nested = compileGraph(target, resolver, false, parents);
    } else {
      kind = 'task';
    }
  } else if (step.uses !== undefined) {
    kind = 'processor';
    label = step.uses;
    useFlowInput = false;
    if (resolver !== undefined) {
      let processor;
      try {
        processor = resolver.resolveProcessor(step.uses);
      } catch (error) {
        throw prefixed(error, where);
      }
      input = validateOptions(processor.options, step.with, where);
    } else {
      input = step.with ?? {};
    }
  }
  const wire: WireStep = {
    id,
    label,
    kind,
    needs: [...needs],
    when: step.when ?? 'all-succeeded',
    useFlowInput,
    retry: wireRetry(retry, where),
  };
  if (!useFlowInput) wire.with = input;
  if (timeoutMs !== undefined) wire.timeoutMs = timeoutMs;
  if (nested !== undefined) wire.flow = nested;
  return wire;
}

function resolveTask(name: string, resolver: StepResolver | undefined, where: string): Runnable {
  if (resolver === undefined) {
    throw new CascadenceError(
      ErrorCode.UNKNOWN_TASK,
      `${where}: task "${name}" is referenced by name, but this TemporalBackend has no registry to look it up`,
      { suggestions: ['pass the task object itself, or create the backend with { registry }'] },
    );
  }
  try {
    return resolver.resolveTask(name);
  } catch (error) {
    throw prefixed(error, where);
  }
}

function prefixed(error: unknown, where: string): unknown {
  if (!CascadenceError.isInstance(error)) return error;
  return new CascadenceError(error.code, `${where}: ${error.message}`, {
    cause: error,
    suggestions: error.suggestions,
    details: error.details,
  });
}
