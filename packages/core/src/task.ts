import { CascadenceError, ErrorCode } from './errors';
import type { Logger } from './logger';
import { resolveRetryPolicy, type RetryPolicy } from './retry';

/** What a task's `run` receives besides its input. */
export interface TaskContext<Results extends Record<string, unknown> = Record<string, unknown>> {
  /** Id of the whole run (the outermost flow's run). */
  readonly runId: string;
  /** Name of the task being run. */
  readonly task: string;
  /** Step id inside its flow; the task name when run on its own. */
  readonly stepId: string;
  /** Name of the flow this step belongs to, if any. */
  readonly flow: string | undefined;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /** Aborted on timeout, cancellation of the run, or fail-fast. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Outputs of the steps listed in `needs` that succeeded, keyed by step id (an object without a prototype: use `Object.hasOwn(ctx.results, id)` or `id in ctx.results`). */
  readonly results: Results;
  /**
   * Ends this step as `skipped` (not failed; `skipReason: 'self'`, `skipMessage: reason`), and its
   * dependants follow their trigger rules — branching without a special operator. It throws to
   * stop the step's code: do not swallow it in a catch-all.
   */
  skip(reason?: string): never;
}

export type TaskRunFunction<Input, Output, Results extends Record<string, unknown>> = (
  ctx: TaskContext<Results>,
  input: Input,
) => Output | Promise<Output>;

export interface TaskDefinition<Input = unknown, Output = unknown, Results extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  description?: string;
  run: TaskRunFunction<Input, Output, Results>;
  retry?: RetryPolicy;
  timeoutMs?: number;
  tags?: string[];
}

/** A named unit of work. Create with `defineTask`. */
export interface Task<
  Input = unknown,
  Output = unknown,
  Results extends Record<string, unknown> = Record<string, unknown>,
> extends Readonly<TaskDefinition<Input, Output, Results>> {
  readonly kind: 'task';
}

/** Names of tasks, flows, steps and processors: letters, digits, `-`, `_`, `.`, `:` and `/`, no spaces. */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;

/** Whether `assertValidName` would accept `name` (for loops that build its message only on failure). */
export function isValidName(name: string): boolean {
  return name !== '__proto__' && NAME_PATTERN.test(name);
}

export function assertValidName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new CascadenceError(ErrorCode.INVALID_NAME, `${what} needs a non-empty name (got ${JSON.stringify(name)})`);
  }
  if (name === '__proto__') {
    // Names become object keys (RunResult.steps, ctx.results, registries): this one would vanish.
    throw new CascadenceError(ErrorCode.INVALID_NAME, `${what} name "__proto__" is reserved: choose another name`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new CascadenceError(
      ErrorCode.INVALID_NAME,
      `${what} name ${JSON.stringify(name)} is invalid: use letters, digits and - _ . : / (no spaces)`,
    );
  }
}

export function assertValidTimeout(timeoutMs: unknown, where: string): void {
  if (timeoutMs === undefined) return;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new CascadenceError(
      ErrorCode.INVALID_DEFINITION,
      `${where}: timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)})`,
    );
  }
}

/** Defines a task; the definition is checked now so mistakes surface at import time. */
export function defineTask<Input = unknown, Output = unknown, Results extends Record<string, unknown> = Record<string, unknown>>(
  definition: TaskDefinition<Input, Output, Results>,
): Task<Input, Output, Results> {
  assertValidName(definition?.name, 'a task');
  const where = `task "${definition.name}"`;
  if (typeof definition.run !== 'function') {
    throw new CascadenceError(ErrorCode.INVALID_DEFINITION, `${where}: run must be a function`);
  }
  resolveRetryPolicy(definition.retry, where);
  assertValidTimeout(definition.timeoutMs, where);
  return Object.freeze({ ...definition, kind: 'task' as const });
}

export function isTask(value: unknown): value is Task {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Task).kind === 'task' &&
    typeof (value as Task).name === 'string' &&
    typeof (value as Task).run === 'function'
  );
}
