import { toJsonSafe } from './json-safe';
import type { RunResult, RunStatus, StepResult } from './result';

/**
 * The RunResult object backends return. It is the plain record of RunResult plus a `toJSON` on its
 * prototype (not an own key), so `JSON.stringify(result)` in library code gives errors as
 * `{ name, message, code?, details? }` instead of `{}`, and never throws on an output JSON cannot
 * hold (BigInt, cycles, ...: `{ "$unserialisable": why }`).
 */
export class SerialisableRunResult<Output> implements RunResult<Output> {
  constructor(
    public runId: string,
    public task: string,
    public status: RunStatus,
    public output: Output | undefined,
    public error: Error | undefined,
    public steps: Record<string, StepResult>,
    public startedAt: number,
    public durationMs: number,
  ) {}

  toJSON(): unknown {
    const { runId, task, status, output, error, steps, startedAt, durationMs } = this;
    return toJsonSafe({ runId, task, status, output, error, steps, startedAt, durationMs });
  }
}

/** A RunResult with those fields whose `JSON.stringify` keeps errors and never throws. */
export function createRunResult<Output>(fields: RunResult<Output>): RunResult<Output> {
  return new SerialisableRunResult(
    fields.runId,
    fields.task,
    fields.status,
    fields.output,
    fields.error,
    fields.steps,
    fields.startedAt,
    fields.durationMs,
  );
}
