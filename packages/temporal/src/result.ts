import { CascadenceError, createRunResult, type RunResult, type StepResult } from '@cascadence/core';
import type { RunSummary, WireError, WireGraph, WireStepResult } from './wire';

/** An error that crossed Temporal, rebuilt: CASCADENCE_* codes come back as CascadenceErrors. */
export function fromWireError(wire: WireError): Error {
  let error: Error;
  const cause = wire.cause === undefined ? undefined : fromWireError(wire.cause);
  if (wire.code !== undefined && wire.code.startsWith('CASCADENCE_')) {
    error = new CascadenceError(wire.code, wire.message, { details: wire.details, cause });
  } else {
    error = new Error(wire.message, cause === undefined ? undefined : { cause });
    if (wire.code !== undefined) (error as Error & { code?: string }).code = wire.code;
  }
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/** Serialises an error for Temporal (details must be JSON; the stack is capped at 4 KiB). */
export function toWireError(error: Error): WireError {
  const wire: WireError = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') wire.code = code;
  const details = (error as { details?: unknown }).details;
  if (details !== null && typeof details === 'object' && !Array.isArray(details)) {
    try {
      const json = JSON.stringify(details);
      if (json !== undefined && json.length <= 16_384) wire.details = JSON.parse(json) as Record<string, unknown>;
    } catch {
      // details that are not JSON stay behind
    }
  }
  if (typeof error.stack === 'string') wire.stack = error.stack.length > 4096 ? `${error.stack.slice(0, 4096)}…` : error.stack;
  return wire;
}

/** The RunResult the local engine would give, from the workflow's summary. */
export function toRunResult<Output>(summary: RunSummary): RunResult<Output> {
  const steps: Record<string, StepResult> = Object.create(null);
  for (const [id, step] of Object.entries(summary.steps)) {
    steps[id] = {
      status: step.status,
      output: step.items !== undefined && Array.isArray(step.output) ? unskipped(step.output, step.items) : step.output,
      error: step.error === undefined ? undefined : fromWireError(step.error),
      attempts: step.attempts,
      startedAt: step.startedAt,
      durationMs: step.durationMs,
      ...(step.skipReason !== undefined ? { skipReason: step.skipReason } : {}),
      ...(step.skipMessage !== undefined ? { skipMessage: step.skipMessage } : {}),
      ...(step.items !== undefined
        ? {
            items: step.items.map((item) => ({
              status: item.status,
              attempts: item.attempts,
              output: item.output,
              error: item.error === undefined ? undefined : fromWireError(item.error),
              ...(item.skipMessage !== undefined ? { skipMessage: item.skipMessage } : {}),
            })),
          }
        : {}),
    };
  }
  return createRunResult<Output>({
    runId: summary.runId,
    task: summary.task,
    status: summary.status === 'running' ? 'failed' : summary.status,
    output: summary.status === 'succeeded' ? (summary.output as Output) : undefined,
    error: summary.error === undefined ? undefined : fromWireError(summary.error),
    steps,
    startedAt: summary.startedAt,
    durationMs: summary.durationMs,
  });
}

/** A summary for runs whose own summary is out of reach (terminated, timed out, oversized). */
export function syntheticSummary(
  runId: string,
  task: string,
  graph: WireGraph | undefined,
  status: 'failed' | 'cancelled',
  error: WireError,
  startedAt: number,
  durationMs: number,
): RunSummary {
  const steps: RunSummary['steps'] = {};
  for (const step of graph?.steps ?? []) steps[step.id] = { status: status === 'cancelled' ? 'cancelled' : 'pending', attempts: 0 };
  return { runId, task, status, error, steps, startedAt, durationMs };
}

/**
 * A map step's output as the local engine gives it: JSON (Temporal's payloads) turned the
 * `undefined` of items that did not succeed into `null`; they are `undefined` again here.
 */
function unskipped(output: unknown[], items: NonNullable<WireStepResult['items']>): unknown[] {
  return output.map((value, k) => (items[k]?.status === 'succeeded' ? value : undefined));
}
