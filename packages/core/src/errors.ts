import { cancelledMessage, timeoutMessage } from './dag/messages';
import { errorToJson } from './json-safe';

/** Brand shared by every copy of @cascadence/core loaded in one process (`instanceof` is not). */
const CASCADENCE_ERROR = Symbol.for('cascadence.error');

/** Stable error codes: part of the public contract, never renamed. */
export const ErrorCode = {
  INVALID_DEFINITION: 'CASCADENCE_INVALID_DEFINITION',
  INVALID_NAME: 'CASCADENCE_INVALID_NAME',
  CYCLE: 'CASCADENCE_CYCLE',
  UNKNOWN_STEP: 'CASCADENCE_UNKNOWN_STEP',
  DUPLICATE_STEP: 'CASCADENCE_DUPLICATE_STEP',
  DUPLICATE_NAME: 'CASCADENCE_DUPLICATE_NAME',
  UNKNOWN_TASK: 'CASCADENCE_UNKNOWN_TASK',
  /** `unschedule`/`pause`/`resume` named a task that has no schedule (every scheduler). */
  UNKNOWN_SCHEDULE: 'CASCADENCE_UNKNOWN_SCHEDULE',
  UNKNOWN_BACKEND: 'CASCADENCE_UNKNOWN_BACKEND',
  UNKNOWN_PROCESSOR: 'CASCADENCE_UNKNOWN_PROCESSOR',
  INVALID_OPTIONS: 'CASCADENCE_INVALID_OPTIONS',
  INVALID_REUSE: 'CASCADENCE_INVALID_REUSE',
  TASK_DISABLED: 'CASCADENCE_TASK_DISABLED',
  TIMEOUT: 'CASCADENCE_TIMEOUT',
  CANCELLED: 'CASCADENCE_CANCELLED',
  NON_ERROR_THROWN: 'CASCADENCE_NON_ERROR_THROWN',
  ASYNC_IN_RUN_SYNC: 'CASCADENCE_ASYNC_IN_RUN_SYNC',
  FLOW_FAILED: 'CASCADENCE_FLOW_FAILED',
  NON_RETRYABLE: 'CASCADENCE_NON_RETRYABLE',
  PLUGIN_LOAD: 'CASCADENCE_PLUGIN_LOAD',
  PLUGIN_CONFLICT: 'CASCADENCE_PLUGIN_CONFLICT',
  /** Not a failure: what `ctx.skip(reason)` throws to end its step as skipped. */
  STEP_SKIPPED: 'CASCADENCE_STEP_SKIPPED',
  /** A `map` step's list is not an array (the message names the step and the path). */
  INVALID_MAP_INPUT: 'CASCADENCE_INVALID_MAP_INPUT',
  /** A `map` step failed because items failed (`cause`: the first failed item's error). */
  MAP_ITEMS_FAILED: 'CASCADENCE_MAP_ITEMS_FAILED',
  /** `withFileLock` (`@cascadence/core/files`) could not get a file's lock in time, or lost it before writing. */
  FILE_LOCKED: 'CASCADENCE_FILE_LOCKED',
  /** `writeFileAtomic` refused or could not write a file: read-only, a directory, permission denied. */
  FILE_UNWRITABLE: 'CASCADENCE_FILE_UNWRITABLE',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface CascadenceErrorOptions {
  cause?: unknown;
  /** Things the user may have meant or may try, shown after the message. */
  suggestions?: string[];
  /** Structured facts about the failure (step ids, file path, ...). */
  details?: Record<string, unknown>;
}

/** Base class of every error the framework throws; `code` is stable, the message is for humans. */
export class CascadenceError extends Error {
  readonly code: string;
  readonly suggestions: string[];
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: CascadenceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CascadenceError';
    this.code = code;
    this.suggestions = options.suggestions ?? [];
    this.details = options.details ?? {};
    Object.defineProperty(this, CASCADENCE_ERROR, { value: true });
  }

  /** `JSON.stringify(error)` gives `{ name, message, code, details? }` instead of `{}`; never throws. */
  toJSON(): Record<string, unknown> {
    return errorToJson(this);
  }

  /** True for errors from any copy of @cascadence/core, optionally with the given code. */
  static isInstance(value: unknown, code?: string): value is CascadenceError {
    try {
      return (
        typeof value === 'object' &&
        value !== null &&
        (value as Record<symbol, unknown>)[CASCADENCE_ERROR] === true &&
        (code === undefined || (value as CascadenceError).code === code)
      );
    } catch {
      // A value that throws when looked at (a revoked Proxy, a hostile getter) is not ours.
      return false;
    }
  }
}

/** A step exceeded its `timeoutMs`. */
export class TimeoutError extends CascadenceError {
  constructor(what: string, timeoutMs: number) {
    super(ErrorCode.TIMEOUT, timeoutMessage(what, timeoutMs), { details: { timeoutMs } });
    this.name = 'TimeoutError';
  }
}

/** The run was cancelled (outer AbortSignal, or fail-fast after another step failed). */
export class CancelledError extends CascadenceError {
  constructor(what: string, reason?: unknown) {
    super(ErrorCode.CANCELLED, cancelledMessage(what, describeReason(reason)), {
      cause: reason,
    });
    this.name = 'CancelledError';
  }
}

/** Throw this (or an error whose name is listed in `retry.nonRetryable`) to stop retrying. */
export class NonRetryableError extends CascadenceError {
  constructor(message: string, options: CascadenceErrorOptions = {}) {
    super(ErrorCode.NON_RETRYABLE, message, options);
    this.name = 'NonRetryableError';
  }
}

/** Something other than an Error was thrown; the value is kept in `value`. */
export class NonErrorThrownError extends CascadenceError {
  readonly value: unknown;
  constructor(value: unknown) {
    super(ErrorCode.NON_ERROR_THROWN, `a non-Error value was thrown: ${preview(value)}`, {
      details: { value },
    });
    this.name = 'NonErrorThrownError';
    this.value = value;
  }
}

/** Every thrown value becomes an Error without losing what was thrown. */
export function toError(value: unknown): Error {
  try {
    if (value instanceof Error) return value;
    // Errors from another realm (vm, worker) fail instanceof but still look like errors.
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Error).message === 'string' &&
      typeof (value as Error).stack === 'string'
    ) {
      return value as Error;
    }
  } catch {
    // Inspecting it threw (a revoked Proxy, a hostile getter): wrap it like any other non-Error.
  }
  return new NonErrorThrownError(value);
}

/** A cancellation reason in words; empty when there is none worth saying. */
function describeReason(reason: unknown): string {
  if (reason === undefined) return '';
  if (CascadenceError.isInstance(reason)) return reason.message;
  try {
    // Duck-typed, not instanceof: reasons may come from another realm (vm, jest, workers).
    if (typeof reason === 'object' && reason !== null && typeof (reason as Error).message === 'string') {
      // AbortController.abort() with no argument gives a DOMException named AbortError.
      return (reason as Error).name === 'AbortError' ? '' : (reason as Error).message;
    }
  } catch {
    // a reason that throws when inspected: described by preview()
  }
  return preview(reason);
}

/** A short printable form of any value; never throws (not even for a revoked Proxy). */
function preview(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
    if (value === undefined || value === null || typeof value !== 'object') return String(value);
    try {
      const json = JSON.stringify(value);
      return json.length > 200 ? `${json.slice(0, 200)}…` : json;
    } catch {
      return Object.prototype.toString.call(value);
    }
  } catch {
    return '(a value that throws when inspected)';
  }
}
