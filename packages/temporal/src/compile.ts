import {
  planRunnable,
  type ResolvedRetryPolicy,
  type Runnable,
  type RunnablePlan,
  type StepPlan,
  type StepResolver,
} from '@cascadence/core';
import type { WireGraph, WireRetry, WireStep } from './wire';

/** A resolved retry policy as data: classes in `nonRetryable` travel by name. */
export function wireRetry(resolved: ResolvedRetryPolicy): WireRetry {
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
 * retry and timeout settings, labels and `with` inputs — never code. Steps are planned by core's
 * one step resolver (`planRunnable`), as the local engine plans them: names resolved with
 * `resolver` (a Registry), processor options validated by schema and by the processor's own
 * `validate`, flows that contain themselves refused — all before anything is sent.
 */
export function compileGraph(runnable: Runnable, resolver: StepResolver | undefined): WireGraph {
  const planned = new Map<Runnable, RunnablePlan>();
  const plan = planRunnable(runnable, {
    resolver,
    owner: 'TemporalBackend',
    registryHint: 'create the backend with { registry }',
    planned,
  });
  return toWire(plan, planned, true);
}

function toWire(plan: RunnablePlan, planned: ReadonlyMap<Runnable, RunnablePlan>, isRoot: boolean): WireGraph {
  const runnable = plan.runnable;
  const steps = plan.plans.map((step, i) => toWireStep(step, plan.graph.needs[i] as readonly number[], planned));
  const wire: WireGraph = {
    name: runnable.name,
    kind: runnable.kind,
    steps,
    hasOutput: runnable.kind === 'flow' && typeof runnable.output === 'function',
  };
  if (isRoot && runnable.kind === 'flow' && runnable.timeoutMs !== undefined) wire.timeoutMs = runnable.timeoutMs;
  if (runnable.kind === 'flow' && runnable.statusFrom === 'leaves') wire.statusFrom = 'leaves';
  return wire;
}

function toWireStep(plan: StepPlan, needs: readonly number[], planned: ReadonlyMap<Runnable, RunnablePlan>): WireStep {
  const wire: WireStep = {
    id: plan.id,
    label: plan.label,
    kind: plan.kind,
    needs: [...needs],
    when: plan.when,
    useFlowInput: plan.useFlowInput,
    retry: wireRetry(plan.retry),
  };
  if (!plan.useFlowInput) wire.with = plan.input;
  if (plan.timeoutMs !== undefined) wire.timeoutMs = plan.timeoutMs;
  if (plan.disabled) wire.disabled = true;
  if (plan.map !== undefined) {
    // A map function is code: the worker runs it (MAP_ITEMS_ACTIVITY), the workflow gets the list.
    wire.map =
      plan.map.path !== undefined
        ? { path: [...plan.map.path], failFast: plan.map.failFast }
        : { path: [], fn: true, failFast: plan.map.failFast };
    if (plan.map.concurrency !== undefined) wire.map.concurrency = plan.map.concurrency;
  }
  if (plan.nested !== undefined) wire.flow = toWire(planned.get(plan.nested) as RunnablePlan, planned, false);
  return wire;
}
